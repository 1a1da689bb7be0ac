"""Plays Slack's side of Socket Mode: a WebSocket server on 127.0.0.1 that the bot's slack_sdk client connects to.

As Slack does: ``apps.connections.open`` (on the FakeSlack this is attached to) answers, for the app-level token only,
a ``ws://127.0.0.1:<port>/link/?ticket=…`` URL whose ticket is good for one connection; each connection is greeted
with ``hello``; events, clicks and slash commands arrive as ``events_api``, ``interactive`` and ``slash_commands``
envelopes carrying the very payloads SlackDriver posts over HTTP; each must be acknowledged by its ``envelope_id``
within 3 s, and the ack's ``payload`` is what the person sees (a slash command's answer). An envelope not acknowledged
in time — its connection dropped, the app slow — is sent again, as a new envelope with ``retry_attempt`` + 1 and
``retry_reason`` "timeout", to whichever connection is open then, up to 3 retries. Slack documents these retries for
the Events API; the stand-in redelivers clicks and commands the same way, the harder case for the bot (a click
delivered twice must not act twice). ``disconnect`` sends Slack's ``disconnect`` message and closes the connection
once the app has opened a new one; ``kill`` drops every connection without a close frame, as a network failure does.

Invariant: an envelope is done only when acknowledged or given up; until then some open connection is sent it again.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import logging
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from bot.sandbox.standins.slack_api import FakeSlack
from bot.sandbox.standins.slack_driver import Delivery, SlackDriver

ACK_TIMEOUT = 3.0  # seconds Slack waits for an envelope's acknowledgement
MAX_RETRIES = 3  # Slack's Events API retries a delivery three times, then gives up
GIVE_UP_AFTER = 360.0  # about how long Slack keeps trying (its last retry comes ~6 minutes after the event)
DISCONNECT_GRACE = 10.0  # Slack closes a connection about 10 s after its disconnect warning
CONNECTION_TIME = 18060  # hello's approximate_connection_time, seconds, as Slack sends it

# Connections opening and closing are ordinary here (faults, stopped bots): only the server's own trouble is logged.
_QUIET = logging.getLogger(__name__ + ".server")
_QUIET.setLevel(logging.WARNING)


@dataclass
class Attempt:
    envelope_id: str
    retry_attempt: int
    connection: int  # the id of the connection it was sent on
    sent_at: float  # monotonic


@dataclass
class Envelope:
    """One delivery (an event, a click, a command) and every attempt made to get it acknowledged."""

    type: str
    payload: dict
    accepts_response_payload: bool
    queued_at: float
    attempts: list[Attempt] = field(default_factory=list)
    acked_by: str | None = None  # the envelope_id the app acknowledged
    ack_payload: dict | None = None
    gave_up: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    def wait(self, timeout: float | None = None) -> bool:
        """True once acknowledged; False if Slack gave up on it or ``timeout`` passed first."""
        self.done.wait(timeout)
        return self.acked_by is not None


@dataclass
class _Link:
    id: int
    connection: ServerConnection
    opened_at: float
    closing: bool = False  # sent a disconnect: no new envelopes go there


class SocketModeSlack:
    def __init__(
        self,
        fake: FakeSlack,
        *,
        app_token: str | None = None,
        app_id: str = "A0TEST",
        ack_timeout: float = ACK_TIMEOUT,
        max_retries: int = MAX_RETRIES,
    ):
        self.fake = fake
        self.app_token = app_token or f"xapp-1-{app_id}-{secrets.randbelow(10**12)}-{secrets.token_hex(32)}"
        self.app_id = app_id
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self.url = ""
        self.refusing = False  # while True, new connections are refused (Slack unreachable)
        self.connections_opened = 0
        self.hellos: list[dict] = []
        self.envelopes: list[Envelope] = []
        self._tickets: set[str] = set()
        self._links: dict[int, _Link] = {}
        self._by_id: dict[str, Envelope] = {}
        self._acks_to_lose = 0
        self._ids = itertools.count(1)
        self._lock = threading.Condition()
        self._stopping = False
        self._server = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> SocketModeSlack:
        # No compression: Slack's own server offers none, and slack_sdk's built-in client asks for none.
        self._server = serve(
            self._handle, "127.0.0.1", 0, process_request=self._check_ticket, compression=None, logger=_QUIET
        )
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link/"
        self.fake.socket_mode = self
        for target, name in ((self._server.serve_forever, "SocketModeSlack"), (self._dispatch, "SocketModeDispatch")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._server is not None:
            self.kill()
            self._server.shutdown()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=5)
        if getattr(self.fake, "socket_mode", None) is self:
            self.fake.socket_mode = None

    def __enter__(self) -> SocketModeSlack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- apps.connections.open and the handshake ---------------------------------------------------------

    def open_url(self) -> str:
        """A new WebSocket URL with a ticket good for one connection (what apps.connections.open answers)."""
        ticket = f"{uuid.uuid4()}"
        with self._lock:
            self._tickets.add(ticket)
        return f"{self.url}?ticket={ticket}"

    def _check_ticket(self, connection: ServerConnection, request):
        path, _, query = request.path.partition("?")
        ticket = dict(p.partition("=")[::2] for p in query.split("&") if p).get("ticket")
        with self._lock:
            if self.refusing:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Socket Mode is unavailable\n")
            if path.rstrip("/") != "/link" or ticket not in self._tickets:
                return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
            self._tickets.discard(ticket)
        return None

    def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            link = _Link(next(self._ids), connection, time.monotonic())
            self._links[link.id] = link
            self.connections_opened += 1
            hello = {
                "type": "hello",
                "num_connections": sum(1 for k in self._links.values() if not k.closing),
                "debug_info": {
                    "host": f"applink-standin-{link.id}",
                    "started": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                    "build_number": 1,
                    "approximate_connection_time": CONNECTION_TIME,
                },
                "connection_info": {"app_id": self.app_id},
            }
            self.hellos.append(hello)
        try:
            connection.send(json.dumps(hello))
            with self._lock:
                self._lock.notify_all()  # envelopes waiting for a connection go out now
            for message in connection:
                self._received(link, message)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._links.pop(link.id, None)
                self._lock.notify_all()

    def _received(self, link: _Link, message) -> None:
        try:
            ack = json.loads(message)
        except ValueError:
            return
        if not isinstance(ack, dict) or not isinstance(ack.get("envelope_id"), str):
            return  # Slack ignores what is not an acknowledgement
        with self._lock:
            if self._acks_to_lose:
                self._acks_to_lose -= 1
                self._drop(link)  # the ack never reached Slack: the connection broke as it was sent
                return
            envelope = self._by_id.get(ack["envelope_id"])
            if envelope is None or envelope.done.is_set():
                return
            payload = ack.get("payload")
            envelope.acked_by = ack["envelope_id"]
            envelope.ack_payload = payload if isinstance(payload, dict) else None
            envelope.done.set()
            self._lock.notify_all()

    # -- delivering --------------------------------------------------------------------------------------

    def deliver(self, type: str, payload: dict, *, accepts_response_payload: bool) -> Envelope:
        """Queue a delivery; it goes out at once on an open connection, or as soon as one opens."""
        envelope = Envelope(type, payload, accepts_response_payload, time.monotonic())
        with self._lock:
            self.envelopes.append(envelope)
            self._lock.notify_all()
        return envelope

    def _dispatch(self) -> None:
        with self._lock:
            while not self._stopping:
                self._lock.wait(timeout=self._send_due())

    def _send_due(self) -> float:
        """Send every envelope whose turn it is (callers hold the lock); return how long until the next is due."""
        now = time.monotonic()
        wait = 1.0
        for envelope in self.envelopes:
            if envelope.done.is_set():
                continue
            last = envelope.attempts[-1] if envelope.attempts else None
            if last is not None and now - last.sent_at < self.ack_timeout:
                wait = min(wait, self.ack_timeout - (now - last.sent_at))
                continue
            if len(envelope.attempts) > self.max_retries or now - envelope.queued_at > GIVE_UP_AFTER:
                envelope.gave_up = True
                envelope.done.set()
                continue
            link = self._newest_link()
            if link is None:
                continue  # it goes out when a connection opens (its hello wakes this loop)
            attempt = Attempt(str(uuid.uuid4()), len(envelope.attempts), link.id, now)
            frame = {
                "envelope_id": attempt.envelope_id,
                "payload": envelope.payload,
                "type": envelope.type,
                "accepts_response_payload": envelope.accepts_response_payload,
                "retry_attempt": attempt.retry_attempt,
                "retry_reason": "timeout" if attempt.retry_attempt else "",
            }
            envelope.attempts.append(attempt)
            self._by_id[attempt.envelope_id] = envelope
            with contextlib.suppress(ConnectionClosed):  # it counts as sent: not acknowledged, it is sent again
                link.connection.send(json.dumps(frame))
            wait = min(wait, self.ack_timeout)
        return max(wait, 0.01)

    def _newest_link(self) -> _Link | None:
        open_links = [k for k in self._links.values() if not k.closing]
        return max(open_links, key=lambda k: k.opened_at) if open_links else None

    # -- faults ------------------------------------------------------------------------------------------

    def disconnect(self, reason: str = "refresh_requested", *, grace: float = DISCONNECT_GRACE) -> None:
        """Slack's ``disconnect`` message on every open connection; each is closed once the app has a newer one,
        or after ``grace`` seconds."""
        with self._lock:
            links = [k for k in self._links.values() if not k.closing]
            for link in links:
                link.closing = True
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-standin"}})
        for link in links:
            with contextlib.suppress(ConnectionClosed):
                link.connection.send(message)
            threading.Thread(target=self._close_when_replaced, args=(link, grace), daemon=True).start()

    def _close_when_replaced(self, link: _Link, grace: float) -> None:
        deadline = time.monotonic() + grace
        with self._lock:
            while not self._stopping and time.monotonic() < deadline:
                if any(k.opened_at > link.opened_at and not k.closing for k in self._links.values()):
                    break
                self._lock.wait(timeout=deadline - time.monotonic())
        link.connection.close()

    def kill(self) -> None:
        """Drop every connection at once, with no close frame: the app sees its socket die."""
        with self._lock:
            for link in list(self._links.values()):
                self._drop(link)

    def lose_next_acks(self, count: int = 1) -> None:
        """The next ``count`` acknowledgements never arrive: each one's connection breaks as it is sent."""
        with self._lock:
            self._acks_to_lose += count

    @staticmethod
    def _drop(link: _Link) -> None:
        link.closing = True  # its handler thread may take a moment to see it end: nothing more goes there
        with contextlib.suppress(OSError):
            link.connection.socket.shutdown(socket.SHUT_RDWR)

    # -- reading back ------------------------------------------------------------------------------------

    def open_connections(self) -> int:
        """Connections open and not on their way out (after a disconnect or a drop)."""
        with self._lock:
            return sum(1 for link in self._links.values() if not link.closing)


class SocketModeDriver(SlackDriver):
    """SlackDriver's people — messages, clicks, menus, slash commands — delivered as Socket Mode envelopes.

    The payloads are SlackDriver's own; only the transport differs: instead of a signed POST, an envelope, and the
    answer is its acknowledgement (``Delivery.json`` is the ack's payload). Each call waits for the ack (or for
    Slack to give up) unless ``wait`` is False: then ``Delivery.envelope`` is returned at once, to wait on later.
    """

    def __init__(self, fake: FakeSlack, socket_mode: SocketModeSlack, *, wait: bool = True, timeout: float = 60.0):
        super().__init__(fake, events_url="", signing_secret="", api_app_id=socket_mode.app_id)
        self.socket_mode = socket_mode
        self.wait = wait
        self.timeout = timeout

    def _send_json(self, payload: dict, extra_headers: dict | None = None) -> Delivery:
        return self._envelope_of("events_api", payload, accepts_response_payload=False)

    def _send_form(self, fields: dict) -> Delivery:
        if "payload" in fields:  # a click, a menu choice, a view submission
            return self._envelope_of("interactive", json.loads(fields["payload"]), accepts_response_payload=True)
        return self._envelope_of("slash_commands", fields, accepts_response_payload=True)

    def _envelope_of(self, type: str, payload: dict, *, accepts_response_payload: bool) -> Delivery:
        started = time.perf_counter()
        envelope = self.socket_mode.deliver(type, payload, accepts_response_payload=accepts_response_payload)
        delivery = SocketDelivery(status=0, body="", json=None, elapsed_ms=0.0, payload=payload, envelope=envelope)
        if self.wait:
            delivery.settle(self.timeout, started)
        return delivery


@dataclass
class SocketDelivery(Delivery):
    envelope: Envelope | None = None

    def settle(self, timeout: float | None = None, started: float | None = None) -> SocketDelivery:
        """Wait for the acknowledgement: status 200 and its payload, or status 0 if Slack gave up first."""
        started = time.perf_counter() if started is None else started
        if self.envelope.wait(timeout):
            self.status, self.json = 200, self.envelope.ack_payload
            self.body = json.dumps(self.json) if self.json is not None else ""
        else:
            self.body = "not acknowledged" + (" (Slack gave up on it)" if self.envelope.gave_up else "")
        self.elapsed_ms = (time.perf_counter() - started) * 1000
        return self
