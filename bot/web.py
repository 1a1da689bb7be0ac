"""The HTTP front: POST /slack/events (events, actions, commands) and GET /healthz, served by waitress."""

import json
import logging

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def make_wsgi(app: App, engine):
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                status, body = "200 OK", {"ok": True}
            except Exception as err:  # the probe reports, it does not crash the server
                status, body = "503 Service Unavailable", {"ok": False, "error": type(err).__name__}
            payload = json.dumps(body).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        if path == EVENTS_PATH and method != "POST":
            payload = b"Use POST: this is Slack's Request URL for events, interactivity and slash commands.\n"
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "POST")])
            return [payload]
        return slack(environ, start_response)

    return application


def serve(app: App, engine, port: int, host: str = "0.0.0.0") -> None:
    from waitress import serve as waitress_serve

    log.info("listening on http://%s:%s%s", host, port, EVENTS_PATH)
    waitress_serve(make_wsgi(app, engine), host=host, port=port, threads=16, ident="social-inbox")
