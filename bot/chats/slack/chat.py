"""The Chat port over slack_sdk's WebClient: cards, threads, private notices, paced per channel."""

import logging
import math
import threading
import time
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.chats.slack import blocks, digest_blocks, notices
from bot.chats.slack.markup import rendered
from bot.chats.slack.messages import chat_message
from bot.domain.errors import ChatError, ChatRateLimited, ChatRefused, ChatUncertain, NotInChannel
from bot.domain.notices import SlaAlert, SlaStage, Words
from bot.domain.types import CardView, ChatMessage, ThreadPost

log = logging.getLogger(__name__)

USER_NAMES_TTL_SECONDS = 3600

PLAIN_ERRORS = {
    "channel_not_found": "the channel does not exist or the bot cannot see it: check SLACK_INBOX_CHANNEL "
    "(a channel ID such as C0123456789)",
    "not_in_channel": "the bot is not a member of the channel: invite it with /invite @your-bot",
    "is_archived": "the channel is archived",
    "invalid_auth": "Slack rejected SLACK_BOT_TOKEN (invalid_auth): reinstall the app or copy the token again",
    "not_authed": "no Slack token was sent: set SLACK_BOT_TOKEN",
    "token_revoked": "the Slack token was revoked: reinstall the app and update SLACK_BOT_TOKEN",
    "account_inactive": "the Slack token belongs to a deactivated app or user",
    "missing_scope": "the Slack app lacks a scope it needs: reinstall it from manifest.yml",
    "ratelimited": "Slack's rate limit was reached",
    "msg_too_long": "the message is too long for Slack",
    "message_not_found": "the Slack message is gone (deleted?)",
    "user_not_in_channel": "that person is not in the channel",
    "msg_blocks_too_long": "the message's blocks are over Slack's total size",
}
# Slack refuses the card itself (too big, or a block it will not take): a shortened card can still be shown.
# Slack's failures after which the call may have taken effect after all (ChatUncertain).
UNCERTAIN = frozenset({"internal_error", "fatal_error", "request_timeout"})
CARD_REFUSED = {"msg_blocks_too_long", "invalid_blocks", "msg_too_long"}


class ChannelPacer:
    """Keeps chat.postMessage to about `rate` per second per channel (Slack allows ~1), without a thread.

    Posts are spaced by the interval from when the previous one was sent, which Slack's short bursts absorb. A post
    answered later than an interval after it was sent was held back (a 429 that slack_sdk's retry handler waited
    out, or a Slack that slow): spaced from its sending, the next post would go at once and be refused in turn. So
    that channel's posts are spaced from the previous answer from then on, which no network jitter can bring under
    Slack's limit, until the channel has been quiet for QUIET_INTERVALS intervals: by then Slack's allowance is whole
    again, and spacing from answers would cost every later post a round trip (a tenth of the rate at 100 ms)."""

    QUIET_INTERVALS = 30

    def __init__(self, rate: float, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._from_answers: set[str] = set()
        self._answered_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> float:
        """Sleep until the channel's next slot; returns when the post goes out (monotonic)."""
        with self._lock:
            now = self._clock()
            if now - self._answered_at.get(channel, now) >= self.QUIET_INTERVALS * self.interval:
                self._from_answers.discard(channel)
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + self.interval
        if slot > now:
            self._sleep(slot - now)
        return max(slot, now)

    def answered(self, channel: str, sent_at: float) -> None:
        now = self._clock()
        with self._lock:
            self._answered_at[channel] = now
            if now - sent_at > self.interval:
                self._from_answers.add(channel)
            if channel in self._from_answers:
                self._next[channel] = max(self._next.get(channel, now), now + self.interval)


def _chat_error(err: Exception) -> ChatError:
    if isinstance(err, SlackApiError):
        code = err.response.get("error", "unknown_error") if err.response is not None else "unknown_error"
        retry_after = None
        if err.response is not None and err.response.status_code == 429:
            retry_after = float(err.response.headers.get("Retry-After", 1))
        message = PLAIN_ERRORS.get(code, f"Slack answered {code}")
        if err.response is not None and err.response.get("errors"):
            message += ": " + "; ".join(str(e) for e in err.response["errors"][:5])
        return _kind(code, retry_after)(code, message, retry_after=retry_after)
    return ChatUncertain("unreachable", f"Slack could not be reached: {type(err).__name__}")


def _kind(code: str, retry_after: float | None) -> type[ChatError]:
    if code == "user_not_in_channel":
        return NotInChannel
    if code == "ratelimited" or retry_after is not None:
        return ChatRateLimited
    if code in UNCERTAIN:
        return ChatUncertain
    return ChatRefused


class SlackChat:
    name = "Slack"

    def __init__(self, client: WebClient, *, rate_per_channel: float = 1.0):
        self.client = client
        self.pacer = ChannelPacer(rate_per_channel)
        self._team_url: str | None = None
        self._users: dict[str, tuple[float, dict]] = {}  # user -> (monotonic time read, users.info's user)
        self._lookup_lock = threading.Lock()
        self._shortened: set[int] = set()  # cases whose full card Slack refused (said once in the log)

    def _call(self, method: str, **kwargs):
        paced = method in ("chat_postMessage", "files_upload_v2")
        sent_at = self.pacer.wait(kwargs["channel"]) if paced else 0.0
        try:
            return getattr(self.client, method)(**kwargs)
        except (SlackApiError, SlackClientError, OSError) as err:
            raise _chat_error(err) from err
        finally:
            if paced:
                self.pacer.answered(kwargs["channel"], sent_at)

    def post_card(self, channel: str, card: CardView) -> tuple[str, str]:
        response = self._card("chat_postMessage", card, channel=channel, unfurl_links=False, unfurl_media=False)
        return response["channel"], response["ts"]

    def update_card(self, channel: str, ts: str, card: CardView) -> None:
        self._card("chat_update", card, channel=channel, ts=ts)

    def _card(self, method: str, card: CardView, **kwargs):
        """Post or redraw a card. Should Slack refuse it all the same (its size cap is not documented), the shortened
        card goes instead, and the log says so once per case: never a stale card retried every cycle."""
        text, card_blocks, metadata = blocks.case_card(card, names=self._labels(card.reassign_to or ()))
        try:
            return self._call(method, text=text, blocks=card_blocks, metadata=metadata, **kwargs)
        except ChatError as err:
            if err.code not in CARD_REFUSED:
                raise
            if card.case_id not in self._shortened:
                self._shortened.add(card.case_id)
                log.warning("case %s: Slack refused its card (%s); a shortened card is shown", card.case_id, err)
        text, card_blocks, metadata = blocks.case_card(card, compact=True)
        return self._call(method, text=text, blocks=card_blocks, metadata=metadata, **kwargs)

    def post_in_thread(self, channel: str, thread_ts: str, post: ThreadPost) -> str:
        text, post_blocks, metadata = blocks.thread_post(post)
        response = self._call(
            "chat_postMessage",
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=post_blocks,
            metadata=metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        return response["ts"]

    def find_mirror(self, channel: str, thread_ts: str | None, message_id: int, since: datetime) -> str | None:
        if thread_ts:
            pages = self._pages("conversations_replies", channel=channel, ts=thread_ts, include_all_metadata=True)
        else:
            oldest = f"{since.timestamp():.6f}"
            pages = self._pages("conversations_history", channel=channel, oldest=oldest, include_all_metadata=True)
        for page in pages:
            for message in page.get("messages", []):
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("message_id") == message_id:
                    return message["ts"]
        return None

    def thread_messages(self, channel: str, thread_ts: str, *, oldest: datetime, latest: datetime) -> list[ChatMessage]:
        pages = self._pages(
            "conversations_replies",
            channel=channel,
            ts=thread_ts,
            oldest=f"{oldest.timestamp():.6f}",
            latest=f"{latest.timestamp():.6f}",
            inclusive=True,
        )
        found = (chat_message({**m, "channel": channel}) for page in pages for m in page.get("messages", []))
        return [m for m in found if m is not None and m.thread_id == thread_ts]

    def _pages(self, method: str, **kwargs):
        cursor = None
        while True:
            page = self._call(method, limit=200, cursor=cursor, **kwargs)
            yield page
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def say_in_thread(self, channel: str, thread_ts: str, text: Words) -> None:
        self._post_in_thread(channel, thread_ts, rendered(text))

    def _post_in_thread(self, channel: str, thread_ts: str, mrkdwn: str) -> None:
        self._call("chat_postMessage", channel=channel, thread_ts=thread_ts, text=mrkdwn, unfurl_links=False)

    def say_in_channel(self, channel: str, text: Words) -> None:
        self._post_in_channel(channel, rendered(text))

    def _post_in_channel(self, channel: str, mrkdwn: str) -> str:
        return self._call("chat_postMessage", channel=channel, text=mrkdwn)["ts"]

    def seconds_for(self, channel: str, count: int) -> float:
        return count * self.pacer.interval

    def posts_within(self, channel: str, seconds: float) -> int:
        return math.ceil(seconds / self.pacer.interval)

    def post_status(self, channel: str, text: Words) -> str:
        return self._post_in_channel(channel, rendered(text))

    def update_status(self, channel: str, message_id: str, text: Words) -> None:
        self._call("chat_update", channel=channel, ts=message_id, text=rendered(text))

    def alert(self, channel: str, thread_id: str, alert: SlaAlert) -> None:
        self._post_in_thread(channel, thread_id, notices.sla_in_thread(alert))
        if alert.stage == SlaStage.BREACHED:
            self._post_in_channel(channel, notices.sla_in_channel(alert, self.thread_link(channel, thread_id)))

    def tell(self, channel: str, user: str, text: Words, thread_id: str | None = None) -> None:
        self._call("chat_postEphemeral", channel=channel, user=user, text=rendered(text), thread_ts=thread_id)

    def post_pending(self, channel: str, thread_ts: str, reply_id: int, text: Words) -> str:
        text = rendered(text)
        response = self._call(
            "chat_postMessage", channel=channel, thread_ts=thread_ts, text=text, blocks=blocks.notice(text, reply_id)
        )
        return response["ts"]

    def update_notice(self, channel: str, ts: str, text: Words, undo_reply_id: int | None = None) -> None:
        text = rendered(text)
        self._call("chat_update", channel=channel, ts=ts, text=text, blocks=blocks.notice(text, undo_reply_id))

    def ask(self, channel: str, user: str, text: Words, choices, thread_id=None) -> None:
        text = rendered(text)
        self._call(
            "chat_postEphemeral",
            channel=channel,
            user=user,
            text=text,
            blocks=blocks.question(text, choices),
            thread_ts=thread_id,
        )

    def group_members(self, group: str) -> list[str]:
        return list(self._call("usergroups_users_list", usergroup=group).get("users", []))

    def post_digest(self, channel: str, digest) -> str:
        text, digest_blocks_ = digest_blocks.digest(digest)
        response = self._call(
            "chat_postMessage",
            channel=channel,
            text=text,
            blocks=digest_blocks_,
            unfurl_links=False,
            unfurl_media=False,
        )
        return response["ts"]

    def upload_file(self, channel: str, content: bytes, filename: str, title: str, initial_comment: Words) -> None:
        self._call(
            "files_upload_v2",
            channel=channel,
            content=content,
            filename=filename,
            title=title,
            initial_comment=rendered(initial_comment),
        )

    def thread_link(self, channel: str, thread_ts: str) -> str | None:
        """The thread's permalink, built as Slack builds it from the workspace's URL (asked once, auth.test),
        rather than one chat.getPermalink call per case."""
        if self._team_url is None:
            try:
                self._team_url = self._call("auth_test").get("url") or ""
            except ChatError as err:
                log.warning("no links to threads: %s", err.message)
                return None
        if not self._team_url:
            return None
        return f"{self._team_url.rstrip('/')}/archives/{channel}/p{thread_ts.replace('.', '')}"

    def find_user(self, name: str, candidates: list[str]) -> str | None:
        """Match `name` (without @, any case) to a candidate's handle, display name or real name; each user is
        read once an hour (users.info, Tier 4), never the whole workspace (users.list)."""
        wanted = name.strip().lstrip("@").casefold()
        for user in candidates:
            if wanted in self._names(user):
                return user
        return None

    def _names(self, user: str) -> frozenset[str]:
        info = self._user(user) or {}
        profile = info.get("profile") or {}
        return frozenset(
            n.casefold()
            for n in (info.get("name"), info.get("real_name"), profile.get("display_name"), profile.get("real_name"))
            if n
        )

    def _labels(self, users) -> dict[str, str]:
        """How a menu names each user: their full name, else their display name."""
        labels = {}
        for user in users:
            info = self._user(user) or {}
            profile = info.get("profile") or {}
            labels[user] = info.get("real_name") or profile.get("display_name") or info.get("name") or user
        return labels

    def _user(self, user: str) -> dict | None:
        with self._lookup_lock:
            cached = self._users.get(user)
        if cached and time.monotonic() - cached[0] < USER_NAMES_TTL_SECONDS:
            return cached[1]
        try:
            info = self._call("users_info", user=user)["user"]
        except ChatError as err:
            log.warning("could not read user %s: %s", user, err.message)
            return None
        with self._lookup_lock:
            self._users[user] = (time.monotonic(), info)
        return info
