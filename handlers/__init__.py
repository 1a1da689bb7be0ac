"""Slack listeners, thin: parse, ack(), call the domain, render with the builders."""

from slack_bolt import App

from handlers import actions, commands, errors, events


def register(app: App, bridge) -> None:
    errors.register(app)
    events.register(app, bridge)
    actions.register(app, bridge)
    commands.register(app, bridge)
