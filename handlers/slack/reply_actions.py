"""Buttons on a reply's notices: Undo in the undo window; delete, repost or keep after an edit or a deletion; send or
drop a reply that reached the bridge late."""

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond

from handlers.slack.actions import answer_click, case_id_of, click_of
from handlers.slack.clicks import recorded

VERBS = ("reply_undo", "reply_delete", "reply_repost", "reply_keep", "reply_send_late", "reply_drop_late")


def register(app: App, bridge) -> None:
    def button(body: dict, request: BoltRequest):
        # the button's value is the reply's id; each action_id is the verb's name
        return click_of(body, request, body["actions"][0]["action_id"], case_id_of(body))

    def on_button(ack: Ack, body: dict, context: BoltContext, respond: Respond):
        ack()
        answer_click(bridge, context, respond, delete_original=bool(body.get("container", {}).get("is_ephemeral")))

    for action_id in VERBS:
        app.action(action_id, middleware=[recorded(bridge, button)])(on_button)
