"""Neutral types passed between the domain and the chat/network adapters."""

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.notices import Words


@dataclass(frozen=True)
class Author:
    id: str
    handle: str
    name: str
    followers: int | None = None
    location: str | None = None


@dataclass(frozen=True)
class InboundPost:
    """A customer's post as the network gave it."""

    id: str
    conversation_id: str
    author: Author
    text: str
    created_at: datetime
    in_reply_to_user_id: str | None = None
    mentioned: frozenset[str] = frozenset()  # the handles it mentions, lowercase
    repost_of: str | None = None  # the post it only passes on, with nothing of the author's own


@dataclass(frozen=True)
class FetchResult:
    posts: list[InboundPost]
    newest_id: str | None
    requests: int
    # True when the network returned all it can reach: if even the oldest of those is newer
    # than the cursor, mentions in between may exist that can no longer be fetched.
    window_full: bool = False
    oldest_id: str | None = None


@dataclass(frozen=True)
class BrandAccount:
    network: str
    account_id: str
    handle: str
    name: str = ""


@dataclass(frozen=True)
class PostedReply:
    id: str
    url: str


@dataclass(frozen=True)
class OwnPost:
    id: str
    text: str
    in_reply_to: str | None


@dataclass(frozen=True)
class ChatRef:
    """Where something lives in a chat: which chat, which conversation (a channel), which message, in which thread
    (the parent message; None at the top of the conversation). The ids are the chat's own, opaque here."""

    chat: str
    conversation: str
    message: str | None = None
    thread: str | None = None

    @classmethod
    def of_case(cls, case) -> "ChatRef | None":
        """A case's thread: its parent message in its conversation; None before it was posted."""
        if case.channel is None or case.thread_id is None:
            return None
        return cls(case.chat, case.channel, case.thread_id, case.thread_id)


@dataclass(frozen=True)
class ChatMessage:
    """A message someone typed in a case thread, already turned into plain text. A saved reply or a repost is
    handled as one too: it has no message of its own in the chat (`message_id` None), only its `dedupe_key`."""

    channel: str
    message_id: str | None
    thread_id: str
    user: str
    text: str
    event_id: str | None = None
    dedupe_key: str | None = None

    @property
    def key(self) -> str:
        """The reply's idempotency key: the same message, click or repost never makes a second reply."""
        return self.dedupe_key or f"msg:{self.channel}:{self.message_id}"


@dataclass(frozen=True)
class Click:
    """A person's click on a control, or a slash command that changes something: what to do, to what, by whom.
    `key` is the chat's identity of this one click (a retry or a replay of it carries the same key)."""

    key: str
    verb: str
    user: str
    target: int | None = None  # the case or reply it acts on
    choice: str | None = None  # what was picked or named: an agent, a saved reply
    text: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class CardView:
    """What a case card shows: the case, its first post, and its current state."""

    case_id: int
    status: str
    owner: str | None
    network: str  # the network's display name
    account_handle: str
    customer: Author
    first_post_id: str
    first_post_text: str
    first_post_at: datetime
    post_url: str
    profile_url: str
    campaign: str
    messages: int = 1
    replies: int = 0
    last_actor: str | None = None
    last_action: str | None = None
    first_message_id: int = 0
    kind: str = "mention"  # mention | term (read-only) | dm (private: no public link)
    read_only: str | None = None  # why the case cannot be answered from the chat
    saved_replies: tuple[str, ...] = ()
    # Whom a claimed case can be handed to: the team's agents but its owner, when the team is set (ALLOWED_AGENTS,
    # AGENT_USERGROUP); None: anyone (the chat's own picker of people).
    reassign_to: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ThreadPost:
    """A customer follow-up mirrored into the case thread."""

    case_id: int
    message_id: int
    customer: Author
    text: str
    posted_at: datetime
    post_url: str
    reopened_for: str | None = None  # the owner this post gave the resolved case back to: told in the thread


@dataclass
class Outcome:
    """What an action did, and what to tell the person who asked (privately), if anything."""

    changed: bool
    notice: Words | None = None  # what to tell, in neutral parts (bot.domain.notices); a str is plain text
    extra: dict = field(default_factory=dict)
