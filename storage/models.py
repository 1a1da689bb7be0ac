"""The tables. Every state the bridge keeps lives here; metrics are derived from messages and events."""

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Account(SQLModel, table=True):
    """A brand account we serve on one network; `since_id` is its ingest cursor."""

    __table_args__ = (UniqueConstraint("network", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    network: str = "x"
    account_id: str
    handle: str
    campaign: str
    since_id: str | None = None
    cursor_updated_at: datetime | None = None


STALE_CARD = "thread_id IS NOT NULL AND card_synced_rev < card_rev"


class Case(SQLModel, table=True):
    """One customer's conversation with one brand account."""

    __table_args__ = (
        UniqueConstraint("network", "account_id", "conversation_id", "customer_id"),
        UniqueConstraint("channel", "thread_id"),
        Index("ix_case_status_opened", "status", "opened_at"),
        # a customer's latest case, read for every poll's new posts: without it, every case of the account is read
        Index("ix_case_customer", "network", "account_id", "customer_id", "kind"),
        # the cards to redraw, read by every mirror run: only those rows are in it, however many cases there are
        Index(
            "ix_case_stale_card",
            "id",
            sqlite_where=text(STALE_CARD),
            postgresql_where=text(STALE_CARD),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    network: str = "x"
    # the chat its thread lives in (its conversation `channel`, its parent message `thread_id`)
    chat: str = Field(default="slack", sa_column_kwargs={"server_default": "slack"})
    account_id: str
    conversation_id: str
    customer_id: str
    customer_handle: str = ""
    customer_name: str = ""
    campaign: str = ""
    # mention; term (a tracked term: read-only, account_id ""); dm (private; its messages' network is "x-dm")
    kind: str = Field(default="mention", sa_column_kwargs={"server_default": "mention"})
    status: str = "open"
    owner: str | None = None
    opened_at: datetime = Field(index=True)
    resolved_at: datetime | None = None
    channel: str | None = None
    thread_id: str | None = None
    # The card is re-rendered whenever card_rev moves past card_synced_rev.
    card_rev: int = 1
    card_synced_rev: int = 0
    # The thread was read back from the chat up to this instant: what Slack never delivered before it is handled.
    thread_read_until: datetime | None = None


class Message(SQLModel, table=True):
    """Every inbound post and every outbound reply of a case."""

    __table_args__ = (
        UniqueConstraint("network", "post_id"),
        UniqueConstraint("chat_channel", "chat_message_id"),
        UniqueConstraint("dedupe_key", name="uq_message_dedupe_key"),
        Index("ix_message_case_direction", "case_id", "direction"),
        Index("ix_message_unmirrored", "direction", "mirror_id"),
        Index("ix_message_state", "state"),
        # metrics: a case's first public reply and its message count; customer posts in a period
        Index("ix_message_case_reply", "case_id", "direction", "state", "posted_at"),
        Index("ix_message_direction_posted", "direction", "posted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    direction: str  # "in" from the customer, "out" from the brand
    network: str = "x"
    post_id: str | None = None
    author_id: str = ""
    author_handle: str = ""
    author_name: str = ""
    author_followers: int | None = None
    author_location: str | None = None
    text: str = Field(sa_column=Column(Text, nullable=False))
    posted_at: datetime
    stored_at: datetime
    # inbound: the chat message that mirrors it; mirror_started_at is set before the chat is called
    mirror_id: str | None = None
    mirror_started_at: datetime | None = None
    # outbound: the agent's chat message it came from (none for a saved reply or a repost), and the reply's
    # idempotency key: the same typed message, click or repost never makes a second reply
    chat_channel: str | None = None
    chat_message_id: str | None = None
    dedupe_key: str | None = None
    agent: str | None = None
    in_reply_to: str | None = None
    # queued -> sending -> sent | failed; queued -> cancelled; held (found late: its owner decides) -> queued|cancelled
    state: str | None = None
    not_before: datetime | None = None
    sending_since: datetime | None = None
    attempts: int = 0
    error: str | None = None
    # the thread message that shows the reply's fate ("sending in N s" with Undo, then the link)
    notice_id: str | None = None
    deleted_at: datetime | None = None  # a sent reply later deleted on the network: it still was the answer
    # an edit made in the chat after the reply went out, kept until the owner chooses delete-and-repost
    edited_text: str | None = Field(default=None, sa_column=Column(Text))


class TermCursor(SQLModel, table=True):
    """The search cursor of a tracked term: the newest post id already stored."""

    network: str = Field(default="x", primary_key=True)
    term: str = Field(primary_key=True)
    since_id: str | None = None
    cursor_updated_at: datetime | None = None


class Event(SQLModel, table=True):
    """Who did what to a case, and when: claim, unclaim, reassign, reply, note, resolve, reopen."""

    __table_args__ = (
        Index("ix_event_kind_at", "kind", "at"),
        Index("ix_event_case", "case_id", "kind"),
        Index("ix_event_kind_at_actor", "kind", "at", "actor"),  # metrics: who did what in a period, index only
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    kind: str
    actor: str
    at: datetime
    detail: str | None = Field(default=None, sa_column=Column(Text))


class SeenDelivery(SQLModel, table=True):
    """Keys of chat deliveries already handled (event ids, (channel, ts) pairs): retries change nothing."""

    key: str = Field(primary_key=True)
    seen_at: datetime = Field(index=True)


class ClickRecord(SQLModel, table=True):
    """A click (or a slash command that changes something), recorded before the chat heard back: the memory that
    makes a retry or a replay change nothing, and the queue from which an interrupted click is finished."""

    __tablename__ = "click"
    __table_args__ = (Index("ix_click_unfinished", "done_at", "started_at"),)

    key: str = Field(primary_key=True)  # the chat's identity of the click: who, which control, when
    verb: str
    user: str
    target: int | None = None  # the case or the reply it acts on
    choice: str | None = None  # what was picked: an agent, a saved reply's name
    text: str | None = Field(default=None, sa_column=Column(Text))
    channel: str | None = None
    recorded_at: datetime = Field(index=True)
    started_at: datetime  # when its work was last begun; another process takes it over only long after
    attempts: int = 1
    done_at: datetime | None = None
    error: str | None = None


class Lease(SQLModel, table=True):
    """A named lease decided by a conditional update: who runs the poller and the clock."""

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime


class DigestRun(SQLModel, table=True):
    """A digest posted for a period: the scheduler never posts the same one twice."""

    kind: str = Field(primary_key=True)
    period: str = Field(primary_key=True)
    posted_at: datetime


class Notice(SQLModel, table=True):
    """Channel-level notices said once (e.g. a gap in the mentions)."""

    key: str = Field(primary_key=True)
    said_at: datetime


class SavedReply(SQLModel, table=True):
    """A reply the team wrote once and sends often: /social-replies add NAME TEXT."""

    name: str = Field(primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str
    created_at: datetime


class NetworkSession(SQLModel, table=True):
    """A network's signed-in session for one brand account (Bluesky limits sign-ins: 30 per 5 minutes, 300 a day),
    kept so that a restarted bot goes on with it instead of signing in again. It holds tokens: never logged."""

    __tablename__ = "network_session"
    network: str = Field(primary_key=True)
    handle: str = Field(primary_key=True)
    session: str = Field(sa_column=Column(Text, nullable=False))
    saved_at: datetime


class ChannelStatus(SQLModel, table=True):
    """The one message in a channel that says its current status on a topic (e.g. a backlog being shown), updated
    rather than said again."""

    __tablename__ = "channel_status"
    channel: str = Field(primary_key=True)
    topic: str = Field(primary_key=True)
    message_id: str
    text: str = Field(sa_column=Column(Text, nullable=False))  # what it says now: an unchanged status is not resent
    updated_at: datetime
