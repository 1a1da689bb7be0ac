"""Message events: an agent's message in a case thread; and Slack's notice that it rate-limits the app's events."""

import logging
from datetime import UTC, datetime

from slack_bolt import App, BoltContext, BoltResponse

from bot.chats.slack.messages import chat_message
from bot.chats.slack.text import to_plain
from bot.domain.errors import NotRecorded

log = logging.getLogger(__name__)


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


def rate_limited_since(body: dict) -> str:
    minute = body.get("minute_rate_limited")
    if isinstance(minute, int) and not isinstance(minute, bool) and 0 < minute < 2**33:
        return datetime.fromtimestamp(minute, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "an unknown time"


def register(app: App, bridge) -> None:
    # Slack sends this (signed, with no inner event) when it rate-limits the app's events, and drops events meanwhile:
    # it is heard (200), said in the log, and the thread messages it drops are found by reading the threads back.
    @app.middleware
    def on_app_rate_limited(body: dict, next):
        if body.get("type") != "app_rate_limited":
            return next()
        log.warning(
            "Slack is rate limiting this app's events since %s and drops events meanwhile; thread messages it does "
            "not deliver are found by reading the case threads back",
            rate_limited_since(body),
        )
        return BoltResponse(status=200, body="")

    # Listener middleware runs before Bolt acknowledges the event: the message is recorded (milliseconds)
    # before Slack hears 200, so a crash right after the ack cannot lose an agent's reply; if recording
    # fails (the database does not take it within a couple of seconds), Slack hears 500 and delivers the event again.
    def record(event: dict, body: dict, context: BoltContext, next):
        message = chat_message(event, body.get("event_id"))
        if message is not None:
            try:
                context["received"] = bridge.replies.record(message, on_request=True)
            except NotRecorded as err:
                log.warning(
                    "thread message %s/%s not recorded (%s): answered 500", message.channel, message.message_id, err
                )
                return BoltResponse(status=500, body="")
        return next()

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
                bridge.changes.chat_deleted(*deleted)
            return
        received = context.get("received")
        if received is not None:
            bridge.replies.follow_up(received)
            log.debug(
                "thread message %s/%s: %s", received.message.channel, received.message.message_id, received.verdict
            )
