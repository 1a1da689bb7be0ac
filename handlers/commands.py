"""Slash commands: /social-stats."""

from slack_bolt import Ack, App

from bot import blocks


def register(app: App, bridge) -> None:
    @app.command("/social-stats")
    def social_stats(ack: Ack, command: dict):
        ack(text=blocks.day_counts(bridge.stats.today()))
