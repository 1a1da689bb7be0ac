"""One place for listener failures: Bolt answers 200 anyway, so an error must be logged, not left to a retry."""

import logging

from slack_bolt import App

log = logging.getLogger(__name__)


def register(app: App) -> None:
    @app.error
    def on_error(error: Exception, body: dict):
        kind = body.get("type") or (body.get("event") or {}).get("type") or body.get("command") or "request"
        log.error("listener failed on %s: %s", kind, error, exc_info=error)
