"""The states a case and a reply go through, and the kinds of what happens to a case. StrEnums: their values are
what the database holds, and they compare equal to those strings."""

from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class ReplyState(StrEnum):
    """queued -> sending -> sent | failed; queued -> cancelled; held (found late: its owner decides) -> queued |
    cancelled."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"


class EventKind(StrEnum):
    """Who did what to a case: the rows of the event table."""

    CLAIM = "claim"
    UNCLAIM = "unclaim"
    REASSIGN = "reassign"
    REPLY = "reply"
    NOTE = "note"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    DELETE = "delete"
