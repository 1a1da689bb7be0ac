"""The two ports the domain talks through. Slack and X implement them; Teams or another network may."""

from datetime import datetime
from typing import Protocol

from bot.domain.types import (
    BrandAccount,
    CardView,
    FetchResult,
    OwnPost,
    PostedReply,
    ThreadPost,
)


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

    def post_time(self, post_id: str) -> datetime: ...

    max_length: int
    reachable_mentions: int


class Chat(Protocol):
    def post_card(self, channel: str, card: CardView) -> tuple[str, str]:
        """Post a case's parent message; return (channel id, ts)."""

    def update_card(self, channel: str, ts: str, card: CardView) -> None: ...

    def post_in_thread(self, channel: str, thread_ts: str, post: ThreadPost) -> str: ...

    def find_mirror(self, channel: str, thread_ts: str | None, message_id: int, since: datetime) -> str | None:
        """The ts of a message already posted for `message_id` (by its metadata), if any."""

    def say_in_thread(self, channel: str, thread_ts: str, text: str) -> None: ...

    def tell(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        """Tell one person privately."""

    def say_in_channel(self, channel: str, text: str) -> None: ...

    def group_members(self, group: str) -> list[str]: ...
