"""Slack listeners, thin: parse, ack(), call the domain, render with the builders."""

from slack_bolt import App

from handlers.slack import actions, commands, errors, events, reply_actions, responses, saved_replies


def register(app: App, bridge, *, answers=None) -> None:
    errors.register(app)
    responses.register(app, answers)
    events.register(app, bridge)
    actions.register(app, bridge)
    commands.register(app, bridge)
    reply_actions.register(app, bridge)
    saved_replies.register(app, bridge)
