"""The Socket Mode stand-in answers as Slack's Socket Mode does: URL, hello, envelopes, acks, retries, disconnects."""

import json
import threading
from contextlib import ExitStack

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from bot.sandbox.standins.slack_socket import ACK_TIMEOUT, MAX_RETRIES, SocketModeDriver, SocketModeSlack
from tests.fakes import SlackDriver
from tests.harness import wait_until


@pytest.fixture
def socket_mode(slack):
    with SocketModeSlack(slack) as server:
        yield server


def open_url(slack, token: str) -> str:
    return WebClient(base_url=slack.url).apps_connections_open(app_token=token)["url"]


class App:
    """A bare Socket Mode app: reads frames in a thread; acknowledges only when told to."""

    def __init__(self, url: str, *, ack: bool = True):
        self._stack = ExitStack()
        self.ws = self._stack.enter_context(connect(url, compression=None))
        self.frames: list[dict] = []
        self.closed: ConnectionClosed | None = None
        self.ack = ack
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for raw in self.ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                if self.ack and "envelope_id" in frame:
                    self.ws.send(json.dumps({"envelope_id": frame["envelope_id"], "payload": {"text": "got it"}}))
        except ConnectionClosed as closed:
            self.closed = closed
        else:  # closed cleanly: iteration just ends
            self.closed = self.ws.protocol.close_exc

    def envelopes(self) -> list[dict]:
        return [f for f in self.frames if "envelope_id" in f]

    def close(self):
        self._stack.close()


def test_apps_connections_open_answers_a_one_time_websocket_url_for_the_app_level_token_only(slack, socket_mode):
    url = open_url(slack, socket_mode.app_token)
    assert url.startswith(socket_mode.url + "?ticket=") and url.startswith("ws://127.0.0.1:")

    for token, error in (("xoxb-test-token", "not_allowed_token_type"), ("xapp-1-A0TEST-1-wrong", "invalid_auth")):
        with pytest.raises(SlackApiError) as refused:
            open_url(slack, token)
        assert refused.value.response["error"] == error

    app = App(url)
    wait_until(lambda: app.frames)
    with pytest.raises(InvalidStatus) as used:
        connect(url)
    assert used.value.response.status_code == 401, "a ticket opens one connection"
    app.close()


def test_each_connection_is_greeted_with_hello_as_slack_does(slack, socket_mode):
    first = App(open_url(slack, socket_mode.app_token))
    hello = wait_until(lambda: first.frames)[0]  # the server counts a connection once it greets it, not at handshake
    second = App(open_url(slack, socket_mode.app_token))
    later = wait_until(lambda: second.frames)[0]

    assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": socket_mode.app_id}
    assert hello["num_connections"] == 1 and later["num_connections"] == 2
    assert {"host", "started", "build_number", "approximate_connection_time"} <= set(hello["debug_info"])
    first.close(), second.close()


def test_envelopes_carry_the_http_drivers_payloads_and_the_ack_payload_comes_back(slack, socket_mode):
    app = App(open_url(slack, socket_mode.app_token))
    driver = SocketModeDriver(slack, socket_mode)
    http = SlackDriver(slack, "http://127.0.0.1:1/slack/events", "secret", api_app_id=socket_mode.app_id)

    message = driver.say("UANA", "C_INBOX", "hello")
    command = driver.command("UANA", "/social-stats", "7d")
    card = slack.add_human_message("C_INBOX", "UBOT", "a card")
    click = driver.click("UANA", "C_INBOX", card["ts"], "case_claim", "7")

    kinds = [(e["type"], e["accepts_response_payload"], e["retry_attempt"], e["retry_reason"]) for e in app.envelopes()]
    assert kinds == [
        ("events_api", False, 0, ""),
        ("slash_commands", True, 0, ""),
        ("interactive", True, 0, ""),
    ]
    event, fields, action = (e["payload"] for e in app.envelopes())
    assert event["type"] == "event_callback" and event["event"]["text"] == "hello"
    assert set(fields) == set(http.command("UANA", "/social-stats", "7d").payload), "the HTTP driver's form fields"
    assert fields["command"] == "/social-stats" and fields["text"] == "7d"
    assert action["type"] == "block_actions" and action["actions"][0]["value"] == "7"
    assert all(d.status == 200 and d.json == {"text": "got it"} for d in (message, command, click))
    app.close()


def test_an_envelope_not_acknowledged_in_time_is_sent_again_then_given_up(slack):
    assert (ACK_TIMEOUT, MAX_RETRIES) == (3.0, 3), "Slack's figures"
    with SocketModeSlack(slack, ack_timeout=0.2) as socket_mode:
        app = App(open_url(slack, socket_mode.app_token), ack=False)
        wait_until(lambda: app.frames)

        delivery = SocketModeDriver(slack, socket_mode).say("UANA", "C_INBOX", "anyone?")

        sent = app.envelopes()
        assert [(e["retry_attempt"], e["retry_reason"]) for e in sent] == [
            (0, ""),
            (1, "timeout"),
            (2, "timeout"),
            (3, "timeout"),
        ]
        assert len({e["envelope_id"] for e in sent}) == 4, "each attempt is a new envelope"
        assert all(e["payload"] == sent[0]["payload"] for e in sent)
        assert delivery.status == 0 and "gave up" in delivery.body
        app.close()


def test_an_envelope_is_acknowledged_by_its_envelope_id_and_a_late_retry_is_then_not_sent(slack, socket_mode):
    app = App(open_url(slack, socket_mode.app_token), ack=False)
    wait_until(lambda: app.frames)
    pending = SocketModeDriver(slack, socket_mode, wait=False).say("UANA", "C_INBOX", "hi")
    first = wait_until(lambda: app.envelopes())[0]

    app.ws.send(json.dumps({"envelope_id": "not-one-of-yours"}))
    app.ws.send(json.dumps({"envelope_id": first["envelope_id"]}))

    assert pending.settle(timeout=10).status == 200 and pending.json is None
    assert len(pending.envelope.attempts) == 1
    app.close()


def test_disconnect_asks_the_app_to_reconnect_and_unacknowledged_envelopes_go_to_the_new_connection(slack, socket_mode):
    old = App(open_url(slack, socket_mode.app_token), ack=False)
    wait_until(lambda: old.frames)
    pending = SocketModeDriver(slack, socket_mode, wait=False).say("UANA", "C_INBOX", "are you there?")
    wait_until(lambda: old.envelopes())

    socket_mode.disconnect("refresh_requested")
    told = wait_until(lambda: old.frames[-1]["type"] == "disconnect" and old.frames[-1])
    assert told["reason"] == "refresh_requested"
    new = App(open_url(slack, socket_mode.app_token))

    assert pending.settle(timeout=10).status == 200
    assert [e["retry_attempt"] for e in new.envelopes()] == [1]
    wait_until(lambda: old.closed is not None, timeout=10)
    assert old.closed.rcvd is not None, "closed with a close frame once the app had a new connection"
    new.close()


def test_kill_drops_the_connection_without_a_close_frame(slack, socket_mode):
    app = App(open_url(slack, socket_mode.app_token))
    wait_until(lambda: app.frames)

    socket_mode.kill()

    wait_until(lambda: app.closed is not None)
    assert app.closed.rcvd is None
    wait_until(lambda: socket_mode.open_connections() == 0)


def test_a_lost_ack_leaves_the_envelope_to_be_sent_again(slack, socket_mode):
    app = App(open_url(slack, socket_mode.app_token))
    wait_until(lambda: app.frames)
    socket_mode.lose_next_acks(1)
    pending = SocketModeDriver(slack, socket_mode, wait=False).say("UANA", "C_INBOX", "hi")
    wait_until(lambda: app.closed is not None)

    again = App(open_url(slack, socket_mode.app_token))

    assert pending.settle(timeout=10).status == 200
    assert [e["retry_attempt"] for e in again.envelopes()] == [1]
    again.close()
