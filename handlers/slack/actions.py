"""Card controls: Claim, Unclaim, Resolve, Reopen buttons, the Reassign picker and the Saved reply menu."""

import logging

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond

from bot.chats.slack.blocks import case_of_block
from bot.chats.slack.markup import rendered
from bot.domain.types import Click
from handlers.slack.clicks import click_key, recorded

log = logging.getLogger(__name__)

MALFORMED = "That button did not say which case it belongs to. Nothing was changed."


def case_id_of(body: dict) -> int | None:
    try:
        value = body["actions"][0]["value"]
    except (KeyError, IndexError, TypeError):
        return None
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12 else None


def user_of(body: dict) -> str | None:
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    return user_id if isinstance(user_id, str) and user_id else None


def channel_of(body: dict) -> str | None:
    places = (body.get("channel"), "id"), (body.get("container"), "channel_id")
    channel = next((p.get(k) for p, k in places if isinstance(p, dict) and p.get(k)), None)
    return channel if isinstance(channel, str) else None


NO_CHOICE = object()  # a button: nothing picked


def click_of(body: dict, request: BoltRequest, verb: str, target: int | None, choice=NO_CHOICE) -> Click | None:
    """The click a block action payload carries, or None when it lacks what its verb needs (the listener says so):
    a case (or reply), a user, and for a picker or a menu, what was picked."""
    user = user_of(body)
    action = body["actions"][0]
    if target is None or not user or (choice is not NO_CHOICE and not (isinstance(choice, str) and choice)):
        return None
    key = click_key("action", user, str(action.get("action_id")), action.get("action_ts"), request)
    return Click(key, verb, user, target, None if choice is NO_CHOICE else choice, channel=channel_of(body))


def answer_click(bridge, context: BoltContext, respond: Respond, *, delete_original: bool = False) -> None:
    """Do the recorded click's work and tell its author privately what came of it (`delete_original`: the message
    clicked on, a question asked privately, is removed once answered)."""
    click = context.get("click")
    if click is None:
        respond(text=MALFORMED, response_type="ephemeral", replace_original=False)
        return
    outcome = bridge.clicks.run(click)
    if delete_original:
        respond(delete_original=True)
    if outcome.notice:
        respond(text=rendered(outcome.notice), response_type="ephemeral", replace_original=False)


def register(app: App, bridge) -> None:
    verbs = {"case_claim": "claim", "case_unclaim": "unclaim", "case_resolve": "resolve", "case_reopen": "reopen"}

    def button(body: dict, request: BoltRequest) -> Click | None:
        return click_of(body, request, verbs[body["actions"][0]["action_id"]], case_id_of(body))

    def reassignment(body: dict, request: BoltRequest) -> Click | None:
        action = body["actions"][0]
        # Slack's picker of people (users_select), or the menu of the team's agents (static_select).
        to = action.get("selected_user") or (action.get("selected_option") or {}).get("value")
        return click_of(body, request, "reassign", card_case_id(body), to)

    def saved_reply(body: dict, request: BoltRequest) -> Click | None:
        name = (body["actions"][0].get("selected_option") or {}).get("value")
        return click_of(body, request, "saved_reply", card_case_id(body), name)

    # Each click is recorded before Slack hears back (handlers/clicks.py); the listener acks, then does its work.
    def on_click(ack: Ack, context: BoltContext, respond: Respond):
        ack()
        answer_click(bridge, context, respond)

    for action_id in verbs:
        app.action(action_id, middleware=[recorded(bridge, button)])(on_click)
    app.action("case_reassign", middleware=[recorded(bridge, reassignment)])(on_click)
    app.action("case_saved_reply", middleware=[recorded(bridge, saved_reply)])(on_click)


def card_case_id(body: dict) -> int | None:
    """A menu's choice carries no case of its own: the case is the one its block names (Slack always sends the
    block_id back), or, for a card drawn before block ids named their case, the one in the message's metadata
    (which Slack does not send with every click)."""
    try:
        case_id = case_of_block(body["actions"][0].get("block_id"))
    except (KeyError, IndexError, TypeError, AttributeError):
        case_id = None
    if case_id is not None:
        return case_id
    payload = ((body.get("message") or {}).get("metadata") or {}).get("event_payload") or {}
    case_id = payload.get("case_id")
    return case_id if isinstance(case_id, int) and not isinstance(case_id, bool) else None
