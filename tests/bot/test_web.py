"""The HTTP front under hostile or unlucky traffic, over real sockets: huge bodies, malformed headers, idle and slow
connections, and /healthz while the database is locked or read-only."""

import json
import logging
import socket
import time
from contextlib import closing, contextmanager
from urllib.parse import urlsplit

import pytest
import requests

from tests.db_hazards import read_only, write_lock_held
from tests.harness import cards, click, wait_until

MAX_BODY_BYTES = 1024 * 1024  # the README's cap


def raw_exchange(url: str, head: bytes, body_chunks=(), timeout: float = 15) -> bytes:
    """Send `head` and the chunks on one connection, then read what comes back until the server closes or is done;
    a server that stops reading the body and answers early is what is asked for, so a reset while sending is not an
    error here."""
    parts = urlsplit(url)
    with closing(socket.create_connection((parts.hostname, parts.port), timeout=timeout)) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
        return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.") else 0


def test_a_huge_body_is_refused_from_its_length_before_it_is_read(bot):
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
    ).encode()

    answer = raw_exchange(bot.url, head, [b"{" * 4096])  # the rest of the 100 MB never comes

    assert status_of(answer) == 413


def test_a_chunked_body_over_the_cap_is_refused(bot):
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 65536
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    count = MAX_BODY_BYTES // len(chunk) + 2

    answer = raw_exchange(bot.url, head, [framed] * count + [b"0\r\n\r\n"])

    assert status_of(answer) == 413


def test_a_body_at_the_cap_still_reaches_the_signature_check(bot):
    body = b'{"type": "event_callback", "pad": "' + b"x" * (MAX_BODY_BYTES - 40) + b'"}'
    assert len(body) <= MAX_BODY_BYTES

    assert bot.slack.post_raw(body, content_type="application/json", signature="v0=" + "0" * 64).status == 401
    assert (
        bot.slack.post_raw(b'{"type": "url_verification", "challenge": "c"}', content_type="application/json").status
        == 200
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "yesterday"},
        {"X-Slack-Request-Timestamp": "1e9"},
        {"X-Slack-Request-Timestamp": ["{now}", "{now}"]},
        {"X-Slack-Signature": ["{signature}", "{signature}"]},
        {"X-Slack-Signature": "{signature}x"},
    ],
    ids=["words", "exponent", "doubled-timestamp", "doubled-signature", "long-signature"],
)
def test_malformed_slack_headers_get_401_not_an_error(bot, caplog, headers):
    caplog.set_level(logging.DEBUG)
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    now = int(time.time())
    signed = bot.slack.sign(body, now)
    lines = [
        b"POST /slack/events HTTP/1.1",
        b"Host: 127.0.0.1",
        b"Content-Type: application/json",
        b"Content-Length: %d" % len(body),
    ]
    sent = {**{k: [v] for k, v in signed.items()}, **{k: v if isinstance(v, list) else [v] for k, v in headers.items()}}
    for name, values in sent.items():
        for value in values:
            value = value.format(now=now, signature=signed["X-Slack-Signature"])
            lines.append(f"{name}: {value}".encode())

    answer = raw_exchange(bot.url, b"\r\n".join(lines) + b"\r\n\r\n" + body)

    assert status_of(answer) == 401
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], "a traceback was logged"


@contextmanager
def open_sockets(url: str, idle: int, slow: int):
    """`idle` connections that send nothing and `slow` ones that have sent the start of a request line."""
    parts = urlsplit(url)
    sockets = []
    try:
        for i in range(idle + slow):
            sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
            if i >= idle:
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 1")
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def test_idle_and_slow_connections_do_not_starve_healthz_or_clicks(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport my order")
    bot.cycle()
    card = cards(slack)[0]

    with open_sockets(bot.url, idle=150, slow=50):
        health = requests.get(bot.url + "/healthz", timeout=15)
        claim = click(bot, "UANA", card, "case_claim")

    assert health.status_code == 200
    assert claim.status == 200
    wait_until(lambda: "Claimed" in json.dumps(slack.message("C_INBOX", card["ts"])["blocks"]))


def test_healthz_answers_writable_while_another_process_holds_a_write_lock(bot, database_url):
    with write_lock_held(database_url):
        response = requests.get(bot.url + "/healthz", timeout=60)

    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": "writable"}


def test_healthz_says_503_when_the_database_cannot_be_written(bot, database_url):
    assert requests.get(bot.url + "/healthz", timeout=60).status_code == 200

    with read_only(database_url):
        bot.bridge.engine.dispose()  # PostgreSQL applies the setting to sessions opened from now on
        response = requests.get(bot.url + "/healthz", timeout=60)

    assert response.status_code == 503
    assert response.json() == {"ok": False, "database": "read-only"}
