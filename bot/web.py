"""The HTTP front: POST /slack/events (events, actions, commands) and GET /healthz, served by waitress."""

import contextlib
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
        try:
            return slack(environ, start_response)
        except Exception:  # Bolt parses the payload before any listener: a malformed one must not be a 500
            log.warning("refused a malformed request to %s", path, exc_info=True)
            payload = b"Malformed request: this payload is not one Slack sends. Nothing was changed.\n"
            start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
            return [payload]

    return application


def create_server(app: App, engine, port: int, host: str = "0.0.0.0", threads: int = 16):
    """The waitress server, bound (port 0 picks a free one: see `effective_port`) but not yet running."""
    from waitress.server import create_server as waitress_server

    return waitress_server(make_wsgi(app, engine), host=host, port=port, threads=threads, ident="social-inbox")


def serve(app: App, engine, port: int, host: str = "0.0.0.0") -> None:
    server = create_server(app, engine, port, host)
    log.info("listening on http://%s:%s%s", host, server.effective_port, EVENTS_PATH)
    server.run()


def stop_server(server, thread) -> None:
    """Stop a waitress server running in `thread`, from inside its own loop: closing its sockets from another
    thread would pull them from under its select()."""
    from waitress import wasyncore

    if thread.is_alive():
        with contextlib.suppress(OSError):  # the loop closed its trigger already: it is stopping by itself
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map, ignore_all=True))
        thread.join(timeout=5)
    server.task_dispatcher.shutdown(timeout=5)
