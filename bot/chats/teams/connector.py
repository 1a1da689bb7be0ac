"""The Bot Connector over the Agents SDK's TeamsConnectorClient, for the bridge's threads: one call at a time per
caller, run on the SDK loop, paced per thread, 429s waited out, errors in the domain's words (ChatError).

Teams limits each bot to 7 sends a second, 8 per 2 seconds, 60 per 30 seconds and 1,800 an hour in one thread (a new
post in a channel counts against the channel): `ThreadPacer` keeps to them, counting each send from when its answer
came back (never earlier than Teams counted it), so the limits are kept, not discovered. A 429 all the same (another
process of the bot sending in the same thread) is waited out after its Retry-After, in the calling thread, never in
the loop. A call whose answer was lost (timeout, dropped connection, 5xx) raises ChatError("uncertain"): the mirror then
looks for the post before it posts again.
"""

import asyncio
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator

import aiohttp
from microsoft_agents.activity import Activity, ConversationParameters
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from bot.chats.teams.sdk_loop import SdkLoop
from bot.chats.teams.sign_in import SignInRefused, TeamsSignIn
from bot.domain.errors import ChatError, ChatRateLimited, ChatRefused, ChatUncertain

log = logging.getLogger(__name__)

# (sends, seconds): Microsoft Learn's per bot per thread table (bots/how-to/rate-limit). Without the 2-second window
# a burst of 7 a second would be refused from its 9th send on.
THREAD_LIMITS = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
MAX_429_RETRIES = 8
CALL_TIMEOUT_SECONDS = 30.0

PLAIN = {
    401: "Teams refused the bot's token: check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID",
    403: "the bot is not installed in that team or chat (or may not post there): add the app to the team",
    404: "Teams does not know that conversation or message (deleted, or a wrong TEAMS_INBOX_CHANNEL?)",
    413: "the message is over Teams' size limit (about 28 KB)",
}


class ThreadPacer:
    def __init__(self, limits=THREAD_LIMITS, *, clock=time.monotonic, sleep=time.sleep):
        self.limits, self.clock, self.sleep = limits, clock, sleep
        self._answered: dict[str, deque] = defaultdict(deque)
        self._held: dict[str, int] = defaultdict(int)  # sends under way per thread (counted as sent now)
        self._lock = threading.Lock()

    def _wait(self, key: str, now: float) -> float:
        sent = self._answered[key]
        longest = max(seconds for _, seconds in self.limits)
        while sent and now - sent[0] >= longest:
            sent.popleft()
        held = self._held[key]
        wait = 0.0
        for count, seconds in self.limits:
            recent = [t for t in sent if now - t < seconds]
            if len(recent) + held >= count:
                if held >= count or not recent:
                    wait = max(wait, 0.05)
                else:
                    wait = max(wait, recent[-(count - held)] + seconds - now)
        return wait

    def acquire(self, key: str) -> None:
        while True:
            with self._lock:
                wait = self._wait(key, self.clock())
                if wait <= 0:
                    self._held[key] += 1
                    return
            self.sleep(wait)

    def release(self, key: str) -> None:
        with self._lock:
            self._held[key] -= 1
            self._answered[key].append(self.clock())

    def starts(self, key: str) -> Iterator[float]:
        """When the next sends in `key` can start, in seconds from now, one after the other as `acquire` lets them
        go: each window's limit in turn, from what was sent in it already (an hour's 1,800 at 60 per 30 s first)."""
        with self._lock:
            now = self.clock()
            longest = max(seconds for _, seconds in self.limits)
            sent = [t for t in self._answered[key] if now - t < longest] + [now] * self._held[key]
        while True:
            start = now
            for count, seconds in self.limits:
                if len(sent) >= count:
                    start = max(start, sent[-count] + seconds)
            sent.append(start)
            yield start - now


def thread_conversation(channel: str, root: str) -> str:
    return f"{channel};messageid={root}"


class Connector:
    def __init__(self, loop: SdkLoop, sign_in: TeamsSignIn, service_url: str, *, pacer: ThreadPacer | None = None):
        self.loop, self.sign_in, self.service_url = loop, sign_in, service_url
        self.pacer = pacer or ThreadPacer()
        self._client: TeamsConnectorClient | None = None
        self._client_token: str | None = None

    def set_service_url(self, url: str) -> None:
        """The serviceUrl of inbound activities wins over the configured one once one came."""
        if url and url != self.service_url:
            log.info("Teams' serviceUrl is now %s", url)
            self.service_url = url
            self._client_token = None

    async def _connector(self) -> TeamsConnectorClient:
        token = await asyncio.to_thread(self.sign_in.token)
        if self._client is None or token != self._client_token or self._client.base_uri != self.service_url:
            if self._client is not None:
                await self._client.close()
            self._client, self._client_token = TeamsConnectorClient(self.service_url, token), token
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            self.loop.run(client.close(), timeout=5)

    def call(self, what: str, paced: str | None, use):
        """Run `use(client)` (a coroutine function) on the loop; `paced`: the thread it sends in, if it sends."""
        for attempt in range(MAX_429_RETRIES + 1):
            if paced:
                self.pacer.acquire(paced)
            try:
                return self.loop.run(self._run(use), timeout=CALL_TIMEOUT_SECONDS + 5)
            except aiohttp.ClientResponseError as err:
                if err.status == 429 and attempt < MAX_429_RETRIES:
                    retry_after = _seconds(err.headers)
                    log.info("Teams throttled %s in %s: waiting %.1f s", what, paced, retry_after)
                    time.sleep(retry_after)
                    continue
                raise _chat_error(what, err) from None
            except SignInRefused as err:
                raise ChatError("sign_in", f"the bot could not sign in to Teams ({err})") from None
            except (aiohttp.ClientError, TimeoutError, OSError) as err:
                raise ChatError("uncertain", f"Teams did not answer {what} ({type(err).__name__})") from None
            finally:
                if paced:
                    self.pacer.release(paced)
        raise AssertionError("unreachable")

    async def _run(self, use):
        client = await self._connector()
        return await asyncio.wait_for(use(client), CALL_TIMEOUT_SECONDS)

    # --- the calls ---------------------------------------------------------------------------------

    def new_post(self, channel: str, tenant_id: str, activity: dict) -> tuple[str, str]:
        """A new post in a channel (a proactive create conversation): (thread conversation id, root id)."""
        parameters = ConversationParameters.model_validate(
            {
                "isGroup": True,
                "channelData": {"channel": {"id": channel}},
                "tenantId": tenant_id,
                "activity": activity,
            }
        )

        async def create(client):
            return await client.conversations.create_conversation(parameters)

        answer = self.call("a new post", channel, create)
        root = answer.activity_id or answer.id.partition(";messageid=")[2]
        return answer.id, root

    def send(self, conversation: str, activity: dict) -> str:
        body = Activity.model_validate(activity)

        async def send(client):
            return await client.conversations.send_to_conversation(conversation, body)

        return self.call("a message", conversation, send).id

    def update(self, conversation: str, activity_id: str, activity: dict) -> None:
        body = Activity.model_validate({**activity, "id": activity_id})

        async def update(client):
            return await client.conversations.update_activity(conversation, activity_id, body)

        self.call("an update", None, update)

    def personal_chat(self, user: str, tenant_id: str) -> str:
        parameters = ConversationParameters.model_validate(
            {"isGroup": False, "members": [{"id": user}], "tenantId": tenant_id}
        )

        async def create(client):
            return await client.conversations.create_conversation(parameters)

        return self.call("a 1:1 chat", None, create).id

    def member(self, conversation: str, user: str) -> dict:
        async def get(client):
            member = await client.conversations.get_conversation_member(conversation, user)
            return member.model_dump(by_alias=True, exclude_none=True)

        return self.call("a member", None, get)

    def team(self, team_id: str) -> dict:
        async def get(client):
            details = await client.fetch_team_details(team_id)
            return details.model_dump(by_alias=True, exclude_none=True)

        return self.call("the team's details", None, get)

    def channels(self, team_id: str) -> list[dict]:
        async def get(client):
            found = await client.fetch_channel_list(team_id)
            return [c.model_dump(by_alias=True, exclude_none=True) for c in found]

        return self.call("the team's channels", None, get)


def _seconds(headers) -> float:
    try:
        return max(0.0, float((headers or {}).get("Retry-After", 1)))
    except (TypeError, ValueError):
        return 1.0


def _chat_error(what: str, err: aiohttp.ClientResponseError) -> ChatError:
    if err.status >= 500:
        return ChatUncertain("uncertain", f"Teams failed on {what} (HTTP {err.status})")
    if err.status == 429:
        return ChatRateLimited("http_429", f"Teams throttled {what}", retry_after=_seconds(err.headers))
    return ChatRefused(f"http_{err.status}", PLAIN.get(err.status, f"Teams refused {what} (HTTP {err.status})"))
