"""/social-replies add NAME TEXT | list | remove NAME, and /reply NAME."""

from slack_bolt import Ack, App

from bot.slack_text import to_plain

USAGE = (
    "Usage: `/social-replies add NAME TEXT`, `/social-replies list`, `/social-replies remove NAME`; "
    "in the inbox channel, `/reply NAME` sends a saved reply in the case you own."
)


def register(app: App, bridge) -> None:
    @app.command("/social-replies")
    def social_replies(ack: Ack, command: dict):
        verb, _, rest = to_plain(command.get("text") or "").strip().partition(" ")
        name, _, text = rest.strip().partition(" ")
        user = command.get("user_id") or ""
        if verb == "list" and not rest.strip():
            ack(text=bridge.saved.listing())
        elif verb == "add" and name:
            ack(text=bridge.saved.add(name, text, user))
        elif verb == "remove" and name and not text:
            ack(text=bridge.saved.remove(name, user))
        else:
            ack(text=USAGE)

    @app.command("/reply")
    def reply(ack: Ack, command: dict):
        name = to_plain(command.get("text") or "").strip()
        user, channel = command.get("user_id") or "", command.get("channel_id") or ""
        if not name or " " in name:
            ack(text=USAGE)
            return
        # Slack does not say which thread a slash command was typed in: it is the case this agent owns here.
        owned = bridge.cases.owned_in(user, channel)
        if len(owned) != 1:
            where = "no case" if not owned else f"{len(owned)} cases"
            ack(text=f"You own {where} in this channel: pick the saved reply from the case card's *Saved reply* menu.")
            return
        ack()
        outcome = bridge.changes.use_saved(owned[0], name, user, key=str(command.get("trigger_id") or ""))
        if outcome.notice:
            bridge.chat.tell(channel, user, outcome.notice)
