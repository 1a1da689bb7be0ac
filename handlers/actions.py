"""Card controls: Claim, Unclaim, Resolve, Reopen buttons, the Reassign picker and the Saved reply menu."""

import logging

from slack_bolt import Ack, App, Respond

from bot.blocks import case_of_block

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


def click_key(body: dict) -> str | None:
    """Who clicked, and Slack's timestamp of that click: the same click delivered again has the same key."""
    try:
        action_ts = body["actions"][0]["action_ts"]
    except (KeyError, IndexError, TypeError):
        return None
    user = user_of(body)
    return f"{user}:{action_ts}" if user and isinstance(action_ts, str) and action_ts else None


def register(app: App, bridge) -> None:
    verbs = {
        "case_claim": bridge.cases.claim,
        "case_unclaim": bridge.cases.unclaim,
        "case_resolve": bridge.cases.resolve,
        "case_reopen": bridge.cases.reopen,
    }

    def on_button(ack: Ack, body: dict, respond: Respond):
        ack()
        case_id = case_id_of(body)
        user = user_of(body)
        verb = verbs.get(body["actions"][0].get("action_id"))
        if case_id is None or not user or verb is None:
            respond(text=MALFORMED, response_type="ephemeral", replace_original=False)
            return
        outcome = verb(case_id, user, key=click_key(body))
        if outcome.notice:
            respond(text=outcome.notice, response_type="ephemeral", replace_original=False)

    for action_id in verbs:
        app.action(action_id)(on_button)

    @app.action("case_reassign")
    def on_reassign(ack: Ack, body: dict, respond: Respond):
        ack()
        case_id, user = card_case_id(body), user_of(body)
        action = body["actions"][0]
        # Slack's picker of people (users_select), or the menu of the team's agents (static_select).
        to = action.get("selected_user") or (action.get("selected_option") or {}).get("value")
        if case_id is None or not user or not isinstance(to, str):
            respond(text=MALFORMED, response_type="ephemeral", replace_original=False)
            return
        outcome = bridge.cases.reassign(case_id, user, to, key=click_key(body))
        if outcome.notice:
            respond(text=outcome.notice, response_type="ephemeral", replace_original=False)

    @app.action("case_saved_reply")
    def on_saved_reply(ack: Ack, body: dict, respond: Respond):
        ack()
        case_id, user = card_case_id(body), user_of(body)
        action = body["actions"][0]
        name = (action.get("selected_option") or {}).get("value")
        if case_id is None or not user or not isinstance(name, str):
            respond(text=MALFORMED, response_type="ephemeral", replace_original=False)
            return
        outcome = bridge.changes.use_saved(case_id, name, user, key=str(action.get("action_ts") or ""))
        if outcome.notice:
            respond(text=outcome.notice, response_type="ephemeral", replace_original=False)


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
