"""Buttons on a reply's notices: Undo in the undo window; delete, repost or keep after an edit or a deletion; send or
drop a reply that reached the bridge late."""

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond

from bot.chats.slack.action_ids import REPLY_ACTION_IDS, VERB_OF_ACTION_ID
from handlers.slack.actions import answer_click, case_id_of, click_of
from handlers.slack.clicks import recorded


def register(app: App, bridge) -> None:
    def button(body: dict, request: BoltRequest):
        # the button's value is the reply's id; its action_id names the verb
        return click_of(body, request, VERB_OF_ACTION_ID[body["actions"][0]["action_id"]], case_id_of(body))

    def on_button(ack: Ack, body: dict, context: BoltContext, respond: Respond):
        ack()
        answer_click(bridge, context, respond, delete_original=bool(body.get("container", {}).get("is_ephemeral")))

    for action_id in REPLY_ACTION_IDS.values():
        app.action(action_id, middleware=[recorded(bridge, button)])(on_button)
