"""The HTTP front: POST /slack/events (events, actions, commands), POST /api/messages (Teams' activities, through the
Agents SDK: bot/chats/teams/front.py) and GET /healthz, served by waitress.

One WSGI server for both chats: Slack's path keeps the gate and the tuning below; Teams' requests are handed to the
SDK's asyncio loop, which runs in a thread of its own, and the WSGI thread waits for the answer (bench/teams.py
measures the acknowledgement times of both side by side).

Nothing reaches Bolt but what passed the gate (bot/request_gate.py: size, headers, signature). The server is tuned so
that idle or slow clients cannot starve Slack's requests (bench/hostile.py measures it): it reads every request
without a thread (a thread serves only a complete request), holds up to CONNECTION_LIMIT connections, closes one idle
for CHANNEL_TIMEOUT seconds, and refuses a body over the gate's cap itself, before buffering it.
"""

import contextlib
import json
import logging
import resource
import threading
import time

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.exc import SQLAlchemyError

from bot import signals
from bot.request_gate import MAX_BODY_BYTES, Gate
from storage.health import WRITABLE, database_state, plain_reason

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
TEAMS_PATH = "/api/messages"
# Slack's requests take well under a second to send and keep no connection idle for long; a proxy's pooled
# connection that is closed is reopened by it at once.
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT_SECONDS = 10
CLEANUP_INTERVAL_SECONDS = 2
# On a stop, the requests under way get this long to be answered before the connections are closed.
DRAIN_SECONDS = 5
DRAIN_CHECK_SECONDS = 0.05
SPARE_FILES = 100  # descriptors kept for the database, logs and outgoing HTTP beside the connections


def make_wsgi(app: App | None, engine, *, signing_secret: str | None, teams=None):
    """`app`: Bolt's (None without Slack); `teams`: the handler of /api/messages (None without Teams)."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH) if app is not None else None
    gate = Gate(signing_secret) if slack is not None else None

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            status, body = health(engine)
            payload = json.dumps(body).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        if path == TEAMS_PATH and teams is not None:
            return teams(environ, start_response)
        if path != EVENTS_PATH or slack is None:
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
            return [b"Not Found\n"]
        if method != "POST":
            payload = b"Use POST: this is Slack's Request URL for events, interactivity and slash commands.\n"
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "POST")])
            return [payload]
        refusal = gate.admit(environ)
        if refusal is not None:
            return refusal.answer(start_response)
        try:
            return slack(environ, start_response)
        except Exception:  # Bolt parses the payload before any listener: a malformed one must not be a 500
            log.warning("refused a malformed request to %s", path, exc_info=True)
            payload = b"Malformed request: this payload is not one Slack sends. Nothing was changed.\n"
            start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
            return [payload]

    return application


def health(engine) -> tuple[str, dict]:
    """200 when the database can be read and written; 503 when it is read-only or cannot be read. It takes no write
    lock, so it answers at once while another process holds one."""
    try:
        state = database_state(engine)
    except SQLAlchemyError as err:
        return "503 Service Unavailable", {"ok": False, "database": "unreachable", "error": plain_reason(err)}
    if state != WRITABLE:
        return "503 Service Unavailable", {"ok": False, "database": state}
    return "200 OK", {"ok": True, "database": state}


def connection_limit() -> int:
    """CONNECTION_LIMIT, raising this process's open-file limit to allow it when the hard limit does (else less)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
            soft = min(wanted, hard)
    return CONNECTION_LIMIT if soft == resource.RLIM_INFINITY else max(10, min(CONNECTION_LIMIT, soft - SPARE_FILES))


def create_server(
    app: App | None,
    engine,
    port: int,
    host: str = "0.0.0.0",
    threads: int = 16,
    *,
    signing_secret: str | None,
    teams=None,
):
    """The waitress server, bound (port 0 picks a free one: see `effective_port`) but not yet running."""
    from waitress.server import create_server as waitress_server

    return waitress_server(
        make_wsgi(app, engine, signing_secret=signing_secret, teams=teams),
        host=host,
        port=port,
        threads=threads,
        ident="social-inbox",
        max_request_body_size=MAX_BODY_BYTES + 1,  # waitress refuses at or above it: MAX_BODY_BYTES still passes
        connection_limit=connection_limit(),
        channel_timeout=CHANNEL_TIMEOUT_SECONDS,
        cleanup_interval=CLEANUP_INTERVAL_SECONDS,
        asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
        clear_untrusted_proxy_headers=True,
    )


def serve(app: App | None, engine, port: int, host: str = "0.0.0.0", *, signing_secret: str | None, teams=None) -> None:
    """Serve until SIGTERM or SIGINT (a platform stops a process so on every deploy), then stop taking connections and
    let the requests under way run to their end, so that the command's own stop follows (`run`: the worker steps down,
    its lease released)."""
    stop = signals.stopping()
    server = create_server(app, engine, port, host, signing_secret=signing_secret, teams=teams)
    paths = [p for p, served in ((EVENTS_PATH, app), (TEAMS_PATH, teams)) if served is not None]
    log.info("listening on http://%s:%s (%s)", host, server.effective_port, ", ".join(paths))
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    signals.wait(stop, serving=thread)
    log.info("stopping: no new requests, the ones under way finish")
    stop_server(server, thread)


def stop_server(server, thread) -> None:
    """Stop a waitress server running in `thread`, from inside its own loop: closing its sockets from another
    thread would pull them from under its select(). It first stops accepting and lets the requests under way be
    answered (DRAIN_SECONDS at most): closed under them, their answers would be lost and their threads would log
    a traceback writing to a closed socket."""
    from waitress import wasyncore

    if thread.is_alive():
        server.accepting = False  # read by its loop at each turn: no connection is accepted after this one
        deadline = time.monotonic() + DRAIN_SECONDS
        while _answering(server) and time.monotonic() < deadline:
            time.sleep(DRAIN_CHECK_SECONDS)
        with contextlib.suppress(OSError):  # the loop closed its trigger already: it is stopping by itself
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map, ignore_all=True))
        thread.join(timeout=5)
    server.task_dispatcher.shutdown(timeout=5)


def _answering(server) -> bool:
    """Whether a connection has a request read and not yet answered, or an answer not yet sent."""
    return any(
        getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
        for channel in list(server._map.values())
    )
