"""The two ports the domain talks through: a Chat (where agents work) and a Network (where customers write).
Each wing implements one: bot/chats/<chat>/, bot/networks/<network>/."""

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from bot.domain.notices import SlaAlert
from bot.domain.types import (
    BrandAccount,
    CardView,
    ChatMessage,
    FetchResult,
    InboundPost,
    OwnPost,
    PostedReply,
    ThreadPost,
)
from bot.domain.verbs import Verb


class Network(Protocol):
    name: str

    def me(self) -> BrandAccount: ...

    def fetch_mentions(self, account: BrandAccount, since_id: str | None) -> FetchResult: ...

    def reply(self, account: BrandAccount, in_reply_to: str, text: str) -> PostedReply: ...

    def recent_posts(self, account: BrandAccount, since_id: str | None) -> list[OwnPost]: ...

    def post_url(self, handle: str, post_id: str) -> str: ...

    def profile_url(self, handle: str) -> str: ...

    def weighted_length(self, text: str) -> int: ...

    def invalid_characters(self, text: str) -> bool: ...

    def delete_post(self, account: BrandAccount, post_id: str) -> None: ...

    def post_time(self, post_id: str) -> datetime: ...

    def search(
        self, account: BrandAccount, query: str, since_id: str | None, *, max_pages: int | None = None
    ) -> FetchResult:
        """Recent posts matching a query (a tracked term), newer than since_id, read with the account's token."""

    def dm_pages(self, account: BrandAccount) -> Iterator[list[InboundPost]]:
        """The account's direct messages, newest first, a page at a time (no since_id: the caller stops)."""

    def send_dm(self, account: BrandAccount, to_user_id: str, text: str) -> PostedReply: ...

    def sent_dms(self, account: BrandAccount, to_user_id: str, since_id: str | None) -> list[OwnPost]: ...

    max_length: int
    dm_max_length: int
    reachable_mentions: int


class Chat(Protocol):
    name: str  # how people call the chat, in notices

    def post_card(self, channel: str, card: CardView) -> tuple[str, str]:
        """Post a case's parent message; return (channel id, ts)."""

    def update_card(self, channel: str, ts: str, card: CardView) -> None: ...

    def post_in_thread(self, channel: str, thread_id: str, post: ThreadPost) -> str: ...

    def find_mirror(self, channel: str, thread_id: str | None, message_id: int, since: datetime) -> str | None:
        """The ts of a message already posted for `message_id` (by its metadata), if any."""

    def say_in_thread(self, channel: str, thread_id: str, text: str) -> None: ...

    def thread_messages(self, channel: str, thread_id: str, *, oldest: datetime, latest: datetime) -> list[ChatMessage]:
        """People's messages in a thread (not the bot's, not the parent) sent between `oldest` and `latest`."""

    def tell(self, channel: str, user: str, text: str, thread_id: str | None = None) -> None:
        """Tell one person privately."""

    def say_in_channel(self, channel: str, text: str) -> None: ...

    def alert(self, channel: str, thread_id: str, alert: SlaAlert) -> None:
        """An SLA alert in the case's thread; a breach also in the channel, calling whom `alert.call` names."""

    def group_members(self, group: str) -> list[str]: ...

    def post_pending(self, channel: str, thread_id: str, reply_id: int, text: str) -> str:
        """A thread message showing a reply waiting in its undo window, with an Undo button; return its ts."""

    def update_notice(self, channel: str, ts: str, text: str, undo_reply_id: int | None = None) -> None:
        """Rewrite a reply's notice (the link once posted, or why not); keep Undo when undo_reply_id is given."""

    def ask(self, channel: str, user: str, text: str, choices: list[tuple[str, Verb, int]], thread_id=None) -> None:
        """Ask one person privately, with a button for each choice (label, what it does, the reply it is about)."""

    def post_digest(self, channel: str, digest) -> str:
        """Post a digest (bot.domain.digests.Digest); return its ts."""

    def upload_file(self, channel: str, content: bytes, filename: str, title: str, initial_comment: str) -> None:
        """Share a file (the digest's chart) in a channel."""

    def thread_link(self, channel: str, thread_id: str) -> str | None:
        """A link that opens a case's thread, if the chat has one."""

    def find_user(self, name: str, candidates: list[str]) -> str | None:
        """The id, among `candidates`, of the user whose name or display name is `name`."""
