"""Message events: an agent's message in a case thread."""

import logging

from slack_bolt import App, BoltContext

from bot.domain.types import ChatMessage
from bot.slack_text import to_plain

log = logging.getLogger(__name__)

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


def chat_message(event: dict, body: dict) -> ChatMessage | None:
    if not well_formed(event) or event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id"):
        return None
    if not is_thread_reply(event):
        return None
    event_id = body.get("event_id")
    return ChatMessage(
        channel=event["channel"],
        ts=event["ts"],
        thread_ts=event["thread_ts"],
        user=event["user"],
        text=to_plain(event.get("text") or ""),
        event_id=event_id if isinstance(event_id, str) else None,
    )


def edited_message(event: dict) -> tuple[str, str, str, str] | None:
    """(channel, ts, user, new text) of an edit to a person's thread message."""
    message = event.get("message")
    if not isinstance(message, dict) or not isinstance(event.get("channel"), str):
        return None
    fields = [message.get(k) for k in ("ts", "user", "text")]
    if not all(isinstance(f, str) for f in fields) or message.get("bot_id"):
        return None
    return event["channel"], fields[0], fields[1], to_plain(fields[2])


def deleted_message(event: dict) -> tuple[str, str] | None:
    channel, ts = event.get("channel"), event.get("deleted_ts")
    return (channel, ts) if isinstance(channel, str) and isinstance(ts, str) else None


def register(app: App, bridge) -> None:
    # Listener middleware runs before Bolt acknowledges the event: the message is recorded (milliseconds)
    # before Slack hears 200, so a crash right after the ack cannot lose an agent's reply; if recording
    # fails, Slack gets an error and delivers the event again.
    def record(event: dict, body: dict, context: BoltContext, next):
        message = chat_message(event, body)
        if message is not None:
            context["received"] = bridge.replies.record(message)
        next()

    @app.event("message", middleware=[record])
    def on_message(event: dict, context: BoltContext):
        if event.get("subtype") == "message_changed":
            edit = edited_message(event)
            if edit:
                bridge.changes.edited(*edit)
            return
        if event.get("subtype") == "message_deleted":
            deleted = deleted_message(event)
            if deleted:
                bridge.changes.slack_deleted(*deleted)
            return
        received = context.get("received")
        if received is not None:
            bridge.replies.follow_up(received)
            log.debug("thread message %s/%s: %s", received.message.channel, received.message.ts, received.verdict)
