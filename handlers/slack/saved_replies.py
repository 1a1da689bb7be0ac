"""/social-replies add NAME TEXT | list | remove NAME, and /reply NAME.

The commands that change something (add, remove, /reply) are clicks: recorded before Slack hears back
(handlers/clicks.py), so a replay changes nothing and an interrupted one is finished by the worker.
"""

from slack_bolt import Ack, App, BoltContext, BoltRequest

from bot.chats.slack.markup import rendered
from bot.chats.slack.text import to_plain
from bot.domain.types import Click
from handlers.slack.clicks import click_key, recorded

USAGE = (
    "Usage: `/social-replies add NAME TEXT`, `/social-replies list`, `/social-replies remove NAME`; "
    "in the inbox channel, `/reply NAME` sends a saved reply in the case you own."
)


def parts(command: dict) -> tuple[str, str, str]:
    """(verb, name, text) of /social-replies."""
    verb, _, rest = to_plain(command.get("text") or "").strip().partition(" ")
    name, _, text = rest.strip().partition(" ")
    return verb, name, text


def command_click(command: dict, request: BoltRequest, verb: str, name: str, text: str | None = None) -> Click:
    user = command.get("user_id") or ""
    key = click_key("command", user, str(command.get("command")), command.get("trigger_id"), request)
    return Click(key, verb, user, choice=name, text=text, channel=command.get("channel_id") or None)


def register(app: App, bridge) -> None:
    def social_replies_click(body: dict, request: BoltRequest) -> Click | None:
        verb, name, text = parts(body)
        if verb == "add" and name:
            return command_click(body, request, "saved_add", name, text)
        if verb == "remove" and name and not text:
            return command_click(body, request, "saved_remove", name)
        return None  # list, or the usage: nothing changes

    @app.command("/social-replies", middleware=[recorded(bridge, social_replies_click)])
    def social_replies(ack: Ack, command: dict, context: BoltContext):
        click = context.get("click")
        verb, name, _ = parts(command)
        if click is not None:
            ack(text=rendered(bridge.clicks.run(click).notice))
        elif verb == "list" and not name:
            ack(text=rendered(bridge.saved.listing()))
        else:
            ack(text=USAGE)

    def reply_click(body: dict, request: BoltRequest) -> Click | None:
        name = to_plain(body.get("text") or "").strip()
        return command_click(body, request, "saved_reply_here", name) if name and " " not in name else None

    @app.command("/reply", middleware=[recorded(bridge, reply_click)])
    def reply(ack: Ack, command: dict, context: BoltContext):
        click = context.get("click")
        if click is None:
            ack(text=USAGE)
            return
        # Slack does not say which thread a slash command was typed in: it is the case this agent owns here.
        if len(bridge.casework.owned_in(click.user, click.channel or "")) != 1:
            ack(text=rendered(bridge.clicks.run(click).notice))  # nothing goes out: the answer says why, at once
            return
        ack()
        outcome = bridge.clicks.run(click)
        if outcome.notice:
            bridge.chat.tell(click.channel, click.user, outcome.notice)
