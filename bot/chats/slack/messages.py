"""Slack's message objects (in an event, or read back from a thread) turned into the domain's ChatMessage: a person's
new message in a thread, or nothing."""

from bot.chats.slack.text import to_plain
from bot.domain.types import ChatMessage

# Subtypes that carry a person's new message; edits, deletions, joins and bot posts are not replies.
PERSON_SUBTYPES = {None, "thread_broadcast", "file_share"}


def is_thread_reply(event: dict) -> bool:
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts") and bool(event.get("user"))


def well_formed(event) -> bool:
    """The fields a thread reply needs, of the types Slack sends; anything else is not a reply."""
    return (
        isinstance(event, dict)
        and all(isinstance(event.get(k), str) and event.get(k) for k in ("channel", "ts", "thread_ts", "user"))
        and isinstance(event.get("text", ""), str)
        and (event.get("subtype") is None or isinstance(event.get("subtype"), str))
    )


def chat_message(event: dict, event_id=None) -> ChatMessage | None:
    """A person's thread reply (a `message` event, or a message of conversations.replies with its channel added)."""
    if not well_formed(event) or event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id"):
        return None
    if not is_thread_reply(event):
        return None
    return ChatMessage(
        channel=event["channel"],
        message_id=event["ts"],
        thread_id=event["thread_ts"],
        user=event["user"],
        text=to_plain(event.get("text") or ""),
        event_id=event_id if isinstance(event_id, str) else None,
    )
