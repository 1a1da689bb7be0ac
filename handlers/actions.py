"""Card buttons: Claim, Unclaim, Resolve, Reopen."""

import logging

from slack_bolt import Ack, App, Respond

log = logging.getLogger(__name__)

MALFORMED = "That button did not say which case it belongs to. Nothing was changed."


def case_id_of(body: dict) -> int | None:
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


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
        user = (body.get("user") or {}).get("id")
        verb = verbs.get(((body.get("actions") or [{}])[0]).get("action_id"))
        if case_id is None or not user or verb is None:
            respond(text=MALFORMED, response_type="ephemeral", replace_original=False)
            return
        outcome = verb(case_id, user)
        if outcome.notice:
            respond(text=outcome.notice, response_type="ephemeral", replace_original=False)

    for action_id in verbs:
        app.action(action_id)(on_button)
