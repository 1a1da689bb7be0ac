"""Buttons on a reply's notices: Undo in the undo window; delete, repost or keep after an edit or a deletion."""

from slack_bolt import Ack, App, Respond

from handlers.actions import MALFORMED, case_id_of, user_of


def register(app: App, bridge) -> None:
    verbs = {
        "reply_undo": bridge.changes.undo,
        "reply_delete": bridge.changes.delete_on_network,
        "reply_repost": bridge.changes.repost,
        "reply_keep": bridge.changes.keep,
    }

    def on_button(ack: Ack, body: dict, respond: Respond):
        ack()
        reply_id, user = case_id_of(body), user_of(body)  # the button's value is the reply's id
        verb = verbs.get(body["actions"][0].get("action_id"))
        if reply_id is None or not user or verb is None:
            respond(text=MALFORMED, response_type="ephemeral", replace_original=False)
            return
        outcome = verb(reply_id, user)
        if body.get("container", {}).get("is_ephemeral"):
            respond(delete_original=True)
        if outcome.notice:
            respond(text=outcome.notice, response_type="ephemeral", replace_original=False)

    for action_id in verbs:
        app.action(action_id)(on_button)
