"""Card buttons: Claim, Unclaim, Resolve, Reopen."""

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
        outcome = verb(case_id, user)
        if outcome.notice:
            respond(text=outcome.notice, response_type="ephemeral", replace_original=False)

    for action_id in verbs:
        app.action(action_id)(on_button)
