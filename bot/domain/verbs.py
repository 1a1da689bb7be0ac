"""What a person can do with a click or a command: the verbs a Click carries, and the choices a question offers.
Their values are what the click table records (so a click recorded by an earlier version is still understood)."""

from enum import StrEnum


class Verb(StrEnum):
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    REASSIGN = "reassign"
    SAVED_REPLY = "saved_reply"
    SAVED_REPLY_HERE = "saved_reply_here"
    SAVED_ADD = "saved_add"
    SAVED_REMOVE = "saved_remove"
    # the choices offered about one reply (its id goes with them)
    UNDO = "reply_undo"
    DELETE = "reply_delete"
    REPOST = "reply_repost"
    KEEP = "reply_keep"
    SEND_LATE = "reply_send_late"
    DROP_LATE = "reply_drop_late"


REPLY_CHOICES = (Verb.UNDO, Verb.DELETE, Verb.REPOST, Verb.KEEP, Verb.SEND_LATE, Verb.DROP_LATE)
