"""The Chat port over the Bot Connector (Agents SDK): case cards as new channel posts, thread posts, card updates,
private notices in the person's 1:1 chat with the bot, digests.

A case's chat reference is (channel id `19:…@thread.tacv2`, root message id); its thread is the conversation
`<channel>;messageid=<root>` (a reply sent with only a replyToId would start a new post instead). People are known
by their Entra object id (what ALLOWED_AGENTS lists and Graph names); the connector's `29:…` id and the name of each
person are learnt from the activities they send.

Teams has no ephemeral messages: what the domain says to one person goes to their 1:1 chat with the bot (the app's
personal scope), except the answer to a click, which the handler puts in the invoke response (the clicker's view).
"""

import base64
import itertools
import logging
import threading
from datetime import datetime
from urllib.parse import quote

from bot.chats.teams import cards, notices
from bot.chats.teams.channel_reads import ChannelReads, cards_of
from bot.chats.teams.connector import Connector, thread_conversation
from bot.chats.teams.text import plain, without_mention
from bot.domain.errors import ChatError, ChatRefused, ChatUncertain, NotInChannel
from bot.domain.notices import Link, SlaAlert, SlaStage, Words, said
from bot.domain.types import CardView, ChatMessage, ThreadPost

log = logging.getLogger(__name__)


class People:
    """Names and connector ids of the people seen, by Entra object id."""

    def __init__(self):
        self._people: dict[str, dict] = {}
        self._lock = threading.Lock()

    def saw(self, account: dict) -> str | None:
        """Remember a `from` account; its id as the bridge knows it (the Entra object id, else the connector id)."""
        if not isinstance(account, dict) or not isinstance(account.get("id"), str):
            return None
        key = account.get("aadObjectId") or account["id"]
        with self._lock:
            known = self._people.setdefault(key, {})
            known.update({"id": account["id"], **({"name": account["name"]} if account.get("name") else {})})
        return key

    def named(self, key: str, name: str | None) -> None:
        """A name Graph gave for a person known by Entra object id (not their connector id, which it does not give)."""
        if name:
            with self._lock:
                self._people.setdefault(key, {}).setdefault("name", name)

    def get(self, key: str) -> dict:
        with self._lock:
            return dict(self._people.get(key, {}))


class TeamsChat:
    name = "Teams"

    def __init__(
        self,
        connector: Connector,
        reads: ChannelReads | None,
        *,
        tenant_id: str,
        app_id: str,
        bot_name: str | None = None,
        home_channel: str | None = None,
    ):
        self.connector, self.reads = connector, reads
        self.tenant_id, self.app_id, self.bot_name = tenant_id, app_id, bot_name
        self.people = People()
        self.home_channel = home_channel  # a channel of the bot's team, where members can be looked up
        self._asked: set[str] = set()
        self._teams: dict[str, dict] = {}  # channel -> its team ({id, aadGroupId}), learnt from activities
        self._conversation_of: dict[str, str] = {}  # activity id -> the conversation it was posted in
        self._chats: dict[str, str] = {}  # person -> their 1:1 conversation with the bot
        self._lock = threading.Lock()

    # --- what inbound activities teach -------------------------------------------------------------

    def learn(self, activity: dict) -> None:
        data = activity.get("channelData") or {}
        channel, team = (data.get("channel") or {}).get("id"), data.get("team") or {}
        if channel and team.get("id"):
            with self._lock:
                self._teams[channel] = team
                self._teams.setdefault(team["id"], team)
        if activity.get("serviceUrl"):
            self.connector.set_service_url(activity["serviceUrl"])
        self.people.saw(activity.get("from") or {})

    def name_of(self, user: str) -> str:
        """The person's name: as their activities gave it, else asked of Teams once (a restart forgets them)."""
        known = self.people.get(user)
        if known.get("name"):
            return known["name"]
        with self._lock:
            asked = user in self._asked
            self._asked.add(user)
        if not asked and self.home_channel and not self.connector.loop.in_loop():
            try:
                member = self.connector.member(self.home_channel, known.get("id") or user)
            except ChatError as err:
                log.info("the name of %s could not be read: %s", user, err.message)
            else:
                self.people.saw({**member, "aadObjectId": member.get("aadObjectId") or user})
                return member.get("name") or "an agent"
        return "an agent"

    def chat_message(self, activity: dict) -> ChatMessage | None:
        """A person's message in a case thread (the bot's @mention taken out), or None."""
        conversation = (activity.get("conversation") or {}).get("id") or ""
        channel, _, root = conversation.partition(";messageid=")
        user = self.people.saw(activity.get("from") or {})
        text = activity.get("text")
        if not (root and user and isinstance(text, str) and isinstance(activity.get("id"), str)):
            return None
        return ChatMessage(
            channel=((activity.get("channelData") or {}).get("channel") or {}).get("id") or channel,
            message_id=activity["id"],
            thread_id=root,
            user=user,
            text=self.without_bot(activity),
            event_id=None,
        )

    # --- posting ---------------------------------------------------------------------------------

    def _remember(self, activity_id: str, conversation: str) -> str:
        with self._lock:
            self._conversation_of[activity_id] = conversation
        return activity_id

    def post_card(self, channel: str, card: CardView) -> tuple[str, str]:
        activity = cards.case_card(card, self.name_of)
        try:
            conversation, root = self.connector.new_post(channel, self.tenant_id, activity)
        except ChatError as err:
            if err.code != "http_413":
                raise
            log.warning("case %s: Teams refused its card (%s); a shortened card is shown", card.case_id, err)
            conversation, root = self.connector.new_post(
                channel, self.tenant_id, cards.case_card(card, self.name_of, compact=True)
            )
        self._remember(root, conversation)
        return channel, root

    def update_card(self, channel: str, ts: str, card: CardView) -> None:
        self.connector.update(thread_conversation(channel, ts), ts, cards.case_card(card, self.name_of))

    def case_view(self, card: CardView, note: Words | None) -> dict:
        """A click's answer: the card as it is now, with what only the clicker is told."""
        return cards.invoke_card(cards.case_card(card, self.name_of, note=note))

    def post_in_thread(self, channel: str, thread_id: str, post: ThreadPost) -> str:
        conversation = thread_conversation(channel, thread_id)
        return self._remember(self.connector.send(conversation, cards.thread_post(post, self.name_of)), conversation)

    def say_in_thread(self, channel: str, thread_id: str, text: Words) -> None:
        conversation = thread_conversation(channel, thread_id)
        self._remember(self.connector.send(conversation, cards.notice(text, self.name_of)), conversation)

    def alert(self, channel: str, thread_id: str, alert: SlaAlert) -> None:
        self.say_in_thread(channel, thread_id, notices.sla_in_thread(alert))
        if alert.stage == SlaStage.BREACHED:
            link = self.thread_link(channel, thread_id)
            self.say_in_channel(channel, notices.sla_in_channel(alert, link))

    def say_in_channel(self, channel: str, text: Words) -> None:
        conversation, root = self.connector.new_post(channel, self.tenant_id, cards.notice(text, self.name_of))
        self._remember(root, conversation)

    def seconds_for(self, channel: str, count: int) -> float:
        if count <= 0:
            return 0.0
        return next(itertools.islice(self.connector.pacer.starts(channel), count - 1, None))

    def posts_within(self, channel: str, seconds: float) -> int:
        return sum(1 for _ in itertools.takewhile(lambda start: start < seconds, self.connector.pacer.starts(channel)))

    def post_status(self, channel: str, text: Words) -> str:
        conversation, root = self.connector.new_post(channel, self.tenant_id, cards.notice(text, self.name_of))
        return self._remember(root, conversation)

    def update_status(self, channel: str, message_id: str, text: Words) -> None:
        # a channel post is its own thread's root: the conversation it lives in is named after it
        with self._lock:
            conversation = self._conversation_of.get(message_id, thread_conversation(channel, message_id))
        self.connector.update(conversation, message_id, cards.notice(text, self.name_of))

    def post_pending(self, channel: str, thread_id: str, reply_id: int, text: Words) -> str:
        conversation = thread_conversation(channel, thread_id)
        activity = cards.notice(text, self.name_of, undo_reply_id=reply_id)
        return self._remember(self.connector.send(conversation, activity), conversation)

    def update_notice(self, channel: str, ts: str, text: Words, undo_reply_id: int | None = None) -> None:
        with self._lock:
            conversation = self._conversation_of.get(ts, channel)
        self.connector.update(conversation, ts, cards.notice(text, self.name_of, undo_reply_id=undo_reply_id))

    # --- one person --------------------------------------------------------------------------------

    def _personal_chat(self, user: str) -> str:
        with self._lock:
            known = self._chats.get(user)
        if known:
            return known
        connector_id = self.people.get(user).get("id") or user
        try:
            conversation = self.connector.personal_chat(connector_id, self.tenant_id)
        except ChatError as err:
            if isinstance(err, ChatRefused):
                raise NotInChannel(err.code, "the person has no 1:1 chat with the bot (add the app for them)") from None
            raise
        with self._lock:
            self._chats[user] = conversation
        return conversation

    def without_bot(self, activity: dict) -> str:
        bot_id = (activity.get("recipient") or {}).get("id")
        return without_mention(activity.get("text") or "", self.bot_name, activity.get("entities"), bot_id)

    def notice_activity(self, text: Words) -> dict:
        return cards.notice(text, self.name_of)

    def tell_activity(self, user: str, activity: dict) -> None:
        """Say something (a card) to one person, in their 1:1 chat with the bot."""
        self.connector.send(self._personal_chat(user), activity)

    def tell(self, channel: str, user: str, text: Words, thread_id: str | None = None) -> None:
        link = self.thread_link(channel, thread_id) if thread_id else None
        told = said(text, "\n", Link(link, "Open the case's thread")) if link else text
        self.connector.send(self._personal_chat(user), cards.notice(told, self.name_of))

    def ask(self, channel: str, user: str, text: Words, choices, thread_id=None) -> None:
        self.connector.send(self._personal_chat(user), cards.notice(text, self.name_of, choices=choices))

    def group_members(self, group: str) -> list[str]:
        raise ChatRefused("unsupported", "AGENT_USERGROUP names a Slack user group; in Teams, list ALLOWED_AGENTS")

    # --- digests -----------------------------------------------------------------------------------

    def post_digest(self, channel: str, digest) -> str:
        from bot.chats.teams.digest_cards import digest_card

        conversation, root = self.connector.new_post(channel, self.tenant_id, digest_card(digest, self.name_of))
        return self._remember(root, conversation)

    def upload_file(self, channel: str, content: bytes, filename: str, title: str, initial_comment: Words) -> None:
        """The chart, inline in a card (a data: URL): a bot cannot upload a file to a channel without Graph's
        file permissions, nor show an image from a URL that needs signing in; the chart is made to fit Teams' 28 KB
        (a 32-colour palette, smaller if need be: bot/chats/teams/images.py)."""
        from bot.chats.teams.images import fitted_png

        room = (cards.MESSAGE_BUDGET - 2_000) * 3 // 4  # base64 takes 4 bytes for 3; 2 KB for the rest of the card
        url = "data:image/png;base64," + base64.b64encode(fitted_png(content, room)).decode()
        body = [cards.rich(*cards.runs(initial_comment, self.name_of)), {"type": "Image", "url": url, "altText": title}]
        activity = cards.message(cards.card(body), title)
        if cards.size(activity) > cards.MESSAGE_BUDGET:
            raise ChatRefused("http_413", f"the chart ({len(content):,} bytes) is over Teams' message size")
        conversation, root = self.connector.new_post(channel, self.tenant_id, activity)
        self._remember(root, conversation)

    # --- reading back --------------------------------------------------------------------------------

    def _group_of(self, channel: str) -> str | None:
        with self._lock:
            team = self._teams.get(channel)
        if team and team.get("aadGroupId"):
            return team["aadGroupId"]
        try:
            details = self.connector.team(channel)
        except ChatError as err:
            log.warning("the team of channel %s is not known yet (%s)", channel, err.message)
            return None
        with self._lock:
            self._teams[channel] = details
        return details.get("aadGroupId")

    def find_mirror(self, channel: str, thread_id: str | None, message_id: int, since: datetime) -> str | None:
        group = self._group_of(channel) if self.reads else None
        if group is None:
            raise ChatUncertain("uncertain", "the channel cannot be read back (its team is not known yet)")
        for item in self.reads.messages(group, channel, thread_id, since=since):
            if any(cards.marker_of(content) == message_id for content in cards_of(item)):
                return item["id"]
        return None

    def thread_messages(self, channel: str, thread_id: str, *, oldest: datetime, latest: datetime) -> list[ChatMessage]:
        group = self._group_of(channel) if self.reads else None
        if group is None:
            return []
        found = []
        for item in self.reads.messages(group, channel, thread_id):
            user = (item.get("from") or {}).get("user") or {}
            created = item.get("createdDateTime") or ""
            try:
                moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
            except ValueError:
                continue
            if not user.get("id") or not (oldest <= moment <= latest):
                continue
            self.people.named(user["id"], user.get("displayName"))
            text = without_mention((item.get("body") or {}).get("content") or "", self.bot_name, item.get("mentions"))
            found.append(ChatMessage(channel, item["id"], thread_id, user["id"], text))
        return sorted(found, key=lambda m: m.message_id)

    def thread_link(self, channel: str, thread_id: str) -> str | None:
        group = None
        with self._lock:
            group = (self._teams.get(channel) or {}).get("aadGroupId")
        query = f"tenantId={self.tenant_id}" + (f"&groupId={group}" if group else "") + f"&parentMessageId={thread_id}"
        return f"https://teams.microsoft.com/l/message/{quote(channel)}/{thread_id}?{query}"

    def find_user(self, name: str, candidates: list[str]) -> str | None:
        wanted = name.strip().lstrip("@").casefold()
        for user in candidates:
            known = (self.people.get(user).get("name") or "").casefold()
            if known and (known == wanted or known.split()[0] == wanted):
                return user
        return None

    def plain(self, notice: Words) -> str:
        return plain(notice, self.name_of)
