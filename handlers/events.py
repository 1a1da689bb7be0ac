"""Message events: an agent's message in a case thread."""

import logging

from slack_bolt import App

from bot.domain.types import ChatMessage
from bot.slack_text import to_plain

log = logging.getLogger(__name__)

# Subtypes that carry a person's new message; edits, deletions, joins and bot posts are not replies.
PERSON_SUBTYPES = {None, "thread_broadcast", "file_share"}


def is_thread_reply(event: dict) -> bool:
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts") and bool(event.get("user"))


def register(app: App, bridge) -> None:
    @app.event("message")
    def on_message(event: dict, body: dict):
        if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id") or not is_thread_reply(event):
            return
        message = ChatMessage(
            channel=event["channel"],
            ts=event["ts"],
            thread_ts=event["thread_ts"],
            user=event["user"],
            text=to_plain(event.get("text") or ""),
            event_id=body.get("event_id"),
        )
        verdict = bridge.replies.receive(message)
        log.debug("thread message %s/%s: %s", message.channel, message.ts, verdict)
