"""The two ports the domain talks through: a Chat (where agents work) and a Network (where customers write).
Each wing implements one: bot/chats/<chat>/, bot/networks/<network>/."""

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from bot.domain.notices import SlaAlert, Words
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


class DirectMessages(Protocol):
    """A network's private messages to and from a brand account: an optional capability (None where there are none)."""

    # False: pages() reads back from the newest and the caller stops at the first page with a message it has.
    # True: pages() reads from the network's own high-water mark and ends by itself; the caller reads every page.
    ends_by_itself: bool

    def pages(self, account: BrandAccount) -> Iterator[list[InboundPost]]:
        """The account's direct messages, newest first, a page at a time (no since_id: the caller stops)."""

    def send(self, account: BrandAccount, to_user_id: str, text: str) -> PostedReply: ...

    def sent(self, account: BrandAccount, to_user_id: str, since_id: str | None) -> list[OwnPost]:
        """The account's direct messages to one person, newer than since_id: to settle an interrupted send."""

    def check_text(self, text: str) -> str | None:
        """Why a text cannot go out as a direct message, in words for the agent (the count in the network's own
        units); None when it can."""


class Network(Protocol):
    """One social network, for one brand account's credentials. Post ids are opaque strings: what their order, their
    time or their links mean is the network's business."""

    name: str  # the key of the network in cases, messages and ACCOUNTS_FILE
    display_name: str  # how people call it, in the words the chat shows
    reachable_mentions: int  # the newest mentions it returns at most; older ones are out of reach
    direct_messages: DirectMessages | None

    def me(self) -> BrandAccount: ...

    def fetch_mentions(self, account: BrandAccount, since_id: str | None) -> FetchResult: ...

    def reply(self, account: BrandAccount, in_reply_to: str, text: str) -> PostedReply: ...

    def recent_posts(self, account: BrandAccount, since_id: str | None) -> list[OwnPost]: ...

    def delete_post(self, account: BrandAccount, post_id: str) -> None: ...

    def search(
        self, account: BrandAccount, query: str, since_id: str | None, *, max_pages: int | None = None
    ) -> FetchResult:
        """Recent posts matching a query (a tracked term), newer than since_id, read with the account's token."""

    def post_url(self, handle: str, post_id: str) -> str: ...

    def profile_url(self, handle: str) -> str: ...

    def check_text(self, text: str) -> str | None:
        """Why a text cannot go out as a public reply (too long as the network counts, characters it refuses), in
        words for the agent; None when it can."""

    def order_key(self, post_id: str):
        """A sort key that puts post ids in the order the network made them."""

    def post_time(self, post_id: str) -> datetime | None:
        """When a post was made, read from its id where the id says it; None where it does not."""

    def overlapped_since(self, since_id: str | None, seconds: float) -> str | None:
        """A since_id about `seconds` older than since_id (the network indexes late: polls overlap), or since_id
        itself where ids cannot be moved back."""

    def search_reaches(self, since_id: str, now: datetime) -> bool:
        """Whether a search from since_id is still within what the network's search reaches back to."""


class Chat(Protocol):
    """Where agents work. What the domain says reaches it as Words (bot.domain.notices): neutral parts, or plain
    text shown as written; the chat renders people, links, emphasis and quotes in its own markup."""

    name: str  # how people call the chat, in notices

    def post_card(self, channel: str, card: CardView) -> tuple[str, str]:
        """Post a case's parent message; return (channel id, ts)."""

    def update_card(self, channel: str, ts: str, card: CardView) -> None: ...

    def post_in_thread(self, channel: str, thread_id: str, post: ThreadPost) -> str: ...

    def find_mirror(self, channel: str, thread_id: str | None, message_id: int, since: datetime) -> str | None:
        """The ts of a message already posted for `message_id` (by its metadata), if any."""

    def say_in_thread(self, channel: str, thread_id: str, text: Words) -> None: ...

    def thread_messages(self, channel: str, thread_id: str, *, oldest: datetime, latest: datetime) -> list[ChatMessage]:
        """People's messages in a thread (not the bot's, not the parent) sent between `oldest` and `latest`."""

    def tell(self, channel: str, user: str, text: Words, thread_id: str | None = None) -> None:
        """Tell one person privately."""

    def say_in_channel(self, channel: str, text: Words) -> None: ...

    def seconds_for(self, channel: str, count: int) -> float:
        """About how long from now until the last of `count` new messages is in the channel, under the chat's limits
        (which the adapter keeps to) and what was sent there lately."""

    def posts_within(self, channel: str, seconds: float) -> int:
        """How many new messages the channel takes from now until `seconds` from now, under the same limits."""

    def post_status(self, channel: str, text: Words) -> str:
        """A channel message saying a status that will change (a backlog being shown); return its id."""

    def update_status(self, channel: str, message_id: str, text: Words) -> None:
        """Rewrite a status message in place."""

    def alert(self, channel: str, thread_id: str, alert: SlaAlert) -> None:
        """An SLA alert in the case's thread; a breach also in the channel, calling whom `alert.call` names."""

    def group_members(self, group: str) -> list[str]: ...

    def post_pending(self, channel: str, thread_id: str, reply_id: int, text: Words) -> str:
        """A thread message showing a reply waiting in its undo window, with an Undo button; return its ts."""

    def update_notice(self, channel: str, ts: str, text: Words, undo_reply_id: int | None = None) -> None:
        """Rewrite a reply's notice (the link once posted, or why not); keep Undo when undo_reply_id is given."""

    def ask(self, channel: str, user: str, text: Words, choices: list[tuple[str, Verb, int]], thread_id=None) -> None:
        """Ask one person privately, with a button for each choice (label, what it does, the reply it is about)."""

    def post_digest(self, channel: str, digest) -> str:
        """Post a digest (bot.domain.digests.Digest); return its ts."""

    def upload_file(self, channel: str, content: bytes, filename: str, title: str, initial_comment: Words) -> None:
        """Share a file (the digest's chart) in a channel."""

    def thread_link(self, channel: str, thread_id: str) -> str | None:
        """A link that opens a case's thread, if the chat has one."""

    def find_user(self, name: str, candidates: list[str]) -> str | None:
        """The id, among `candidates`, of the user whose name or display name is `name`."""
