"""Card controls: Claim, Unclaim, Resolve, Reopen buttons, the Reassign picker and the Saved reply menu."""

import logging

from slack_bolt import Ack, App, Respond

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
        to = body["actions"][0].get("selected_user")
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
    """A picker carries no value of its own: the case is the one named in the card's metadata."""
    payload = ((body.get("message") or {}).get("metadata") or {}).get("event_payload") or {}
    case_id = payload.get("case_id")
    return case_id if isinstance(case_id, int) and not isinstance(case_id, bool) else None
