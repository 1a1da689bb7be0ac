"""7. Hostile traffic: what a stranger on the internet costs the real `python -m bot web`.

The bot runs as a subprocess (`python -m bot web`, its own settings, on SQLite), beside the Slack and X stand-ins of
this process; its cards are mirrored beforehand by `python -m bot poll-once`. Three measurements:
- an unsigned 100 MB body (Content-Length sent, then the whole body as fast as the socket takes it): the time until
  the bot's answer, the bot's peak RSS (VmHWM) before and after, and how much the bot logged meanwhile;
- /healthz and signed button clicks (each card claimed by one agent, then by another, who is told it is taken), one
  at a time, the HTTP round trip of each: first with no other client, then with 200 idle connections (connected,
  nothing sent) and 200 slow ones (a request trickling in at a byte a second) held open throughout. An answer that
  does not come within 10 s counts as not answered;
- clicks lost under a 40 s write lock and under kill -9 mid-burst: bench/click_loss.py (its docstring says how).
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.common import Figure, WebProcess, add_customers, mention_text, percentile, workdir
from bench.digests import peak_rss_mb
from tests.fakes import FakeSlack, FakeX, SlackDriver
from tests.harness import SIGNING_SECRET, bot_env, buttons, cards, process_env

SECTION = "7. Hostile traffic"
ANSWER_WITHIN_S = 10.0
GIVE_UP_AFTER = 3
SLACK_GIVES_UP_MS = 3000
HOLD_CROWD_S = 15  # longer than the bot's idle timeout (10 s, checked every 2 s): the idle ones should be gone
AGENTS = ("UANA", "USAM")


def huge_body(web: WebProcess, megabytes: int) -> dict:
    """An unsigned body of `megabytes` MB, sent whole unless the bot answers or hangs up first."""
    rss_before, log_before = peak_rss_mb(web.proc.pid), web.log_bytes()
    # A JSON object Bolt would parse (and, once its signature failed, log) whole: {"type": …, "pad": "xxx…"}.
    chunk, prefix, suffix = b"x" * (1024 * 1024), b'{"type": "event_callback", "pad": "', b'"}'
    pieces = [prefix + chunk[len(prefix) :], *[chunk] * (megabytes - 2), chunk[len(suffix) :] + suffix]
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{web.port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {megabytes * len(chunk)}\r\n\r\n"
    ).encode()
    sent, answer = 0, b""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", web.port), timeout=120) as sock:
        try:
            sock.sendall(head)
            for piece in pieces:
                sock.sendall(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the bot answered and closed: the rest was never read
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
    elapsed = time.perf_counter() - started
    time.sleep(0.5)  # what the bot still does with it (Bolt's parse, the log line) shows in its peak
    status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "no answer"
    return {
        "megabytes": megabytes,
        "status": status,
        "seconds": elapsed,
        "sent_mb": sent / 1024 / 1024,
        "rss_before_mb": rss_before,
        "rss_peak_mb": peak_rss_mb(web.proc.pid),
        "logged_mb": (web.log_bytes() - log_before) / 1024 / 1024,
    }


class Crowd:
    """`idle` connections that send nothing and `slow` ones sending a request a byte a second, until closed."""

    REQUEST = b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" * 100

    def __init__(self, port: int, idle: int, slow: int):
        self.idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(idle)]
        self.slow = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(slow)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, name="slow-clients", daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        offset = 0
        while not self._stop.wait(1.0):
            byte = self.REQUEST[offset % len(self.REQUEST) : offset % len(self.REQUEST) + 1]
            for sock in self.slow:
                with contextlib.suppress(OSError):
                    sock.send(byte)
            offset += 1

    def still_open(self) -> dict:
        """How many of each the bot has not closed."""
        return {"idle": sum(_open(s) for s in self.idle), "slow": sum(_open(s) for s in self.slow)}

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.idle + self.slow:
            sock.close()


def _open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def latencies(web: WebProcess, driver: SlackDriver, slack: FakeSlack, rounds: int, cards_from: int) -> dict:
    """`rounds` /healthz and 2 × `rounds` clicks, one at a time. After GIVE_UP_AFTER unanswered in a row, the rest
    count as unanswered without being sent (a starved server would take 10 s each)."""
    health, clicks, unanswered = [], [], 0
    for done, card in enumerate(cards(slack)[cards_from : cards_from + rounds]):
        if unanswered >= GIVE_UP_AFTER and not (health or clicks):
            unanswered += 3 * (rounds - done)
            break
        started = time.perf_counter()
        try:
            ok = requests.get(web.base + "/healthz", timeout=ANSWER_WITHIN_S).status_code == 200
        except requests.RequestException:
            ok = False
        if ok:
            health.append((time.perf_counter() - started) * 1000)
        else:
            unanswered += 1
        for agent in AGENTS:
            delivery = driver.click(agent, "C_INBOX", card["ts"], "case_claim", buttons(card)["case_claim"])
            if delivery.status == 200:
                clicks.append(delivery.elapsed_ms)
            else:
                unanswered += 1
    return {
        "healthz_p50_ms": percentile(health, 0.5) if health else float("inf"),
        "healthz_p99_ms": percentile(health, 0.99) if health else float("inf"),
        "click_p50_ms": percentile(clicks, 0.5) if clicks else float("inf"),
        "click_p99_ms": percentile(clicks, 0.99) if clicks else float("inf"),
        "requests": rounds * 3,
        "unanswered": unanswered,
    }


def measure(quick: bool) -> dict:
    megabytes, idle, slow, rounds = (10, 50, 50, 10) if quick else (100, 200, 200, 50)
    with workdir() as work, FakeSlack() as slack, FakeX() as x, tempfile.TemporaryDirectory() as cwd:
        env = bot_env(slack, x, work.database_url(), LOG_LEVEL="INFO")
        for i, customer in enumerate(add_customers(x, 2 * rounds)):
            x.post(customer["id"], mention_text(i))
        polled = subprocess.run(
            [sys.executable, "-m", "bot", "poll-once"], env=process_env(env), cwd=cwd, capture_output=True, text=True
        )
        if polled.returncode != 0 or len(cards(slack)) != 2 * rounds:
            raise RuntimeError(f"could not set up {2 * rounds} cards: {polled.stderr[-2000:]}")
        web = WebProcess(env, Path(cwd))
        try:
            driver = SlackDriver(slack, web.base + "/slack/events", SIGNING_SECRET)
            body = huge_body(web, megabytes)
            calm = latencies(web, driver, slack, rounds, cards_from=0)
            crowd = Crowd(web.port, idle, slow)
            opened = time.monotonic()
            try:
                crowded = latencies(web, driver, slack, rounds, cards_from=rounds)
                if not quick:
                    time.sleep(max(0.0, opened + HOLD_CROWD_S - time.monotonic()))
                    crowded["still_open"] = crowd.still_open()
            finally:
                crowd.close()
        finally:
            web.stop()
    return {"body": body, "calm": calm, "crowded": crowded, "idle": idle, "slow": slow}


def lost_clicks(quick: bool) -> list[Figure]:
    """Clicks lost under a 40 s write lock and under kill -9 mid-burst (bench/click_loss.py), in this section."""
    from bench import click_loss

    return click_loss.run(quick, section=SECTION)


def run(quick: bool = False) -> list[Figure]:
    m = measure(quick)
    body, calm, crowded = m["body"], m["calm"], m["crowded"]
    crowd = f"with {m['idle']} idle and {m['slow']} slow (a byte a second) connections open"
    answered = f"{crowded['unanswered']} of {crowded['requests']} not answered within {ANSWER_WITHIN_S:g} s"
    figures = [
        Figure(
            SECTION,
            f"peak RSS of the bot after an unsigned {body['megabytes']} MB body",
            body["rss_peak_mb"],
            "{:.0f} MB",
            target=f"< {body['rss_before_mb'] + 20:.0f} MB (its peak before + 20)",
            met=body["rss_peak_mb"] < body["rss_before_mb"] + 20,
            note=(
                f"answered {body['status']} after {body['sent_mb']:.1f} MB were sent; peak RSS before "
                f"{body['rss_before_mb']:.0f} MB; {body['logged_mb']:.2f} MB logged meanwhile"
            ),
            extra=body,
        ),
        Figure(
            SECTION,
            f"time to the answer to an unsigned {body['megabytes']} MB body",
            body["seconds"],
            "{:.2f} s",
            target="< 1 s",
            met=body["seconds"] < 1,
            extra=body,
        ),
    ]
    for label, m_ in (("no other client", calm), (crowd, crowded)):
        for what, key in (("/healthz", "healthz"), ("click", "click")):
            p50, p99 = m_[f"{key}_p50_ms"], m_[f"{key}_p99_ms"]
            figures.append(
                Figure(
                    SECTION,
                    f"{what} p50 / p99, {label}",
                    p99,
                    f"{p50:.1f} / {{:.1f}} ms",
                    target=f"all answered, p99 < {SLACK_GIVES_UP_MS:g} ms" if m_ is crowded else "",
                    met=(p99 < SLACK_GIVES_UP_MS and m_["unanswered"] == 0) if m_ is crowded else None,
                    note=answered if m_ is crowded else f"{m_['unanswered']} not answered",
                    extra=m_,
                )
            )
    still = crowded.get("still_open")
    if still is not None:
        figures.append(
            Figure(
                SECTION,
                f"connections the bot still held {HOLD_CROWD_S} s after the crowd connected",
                still["idle"] + still["slow"],
                "{:.0f}",
                note=f"idle {still['idle']} of {m['idle']}, slow {still['slow']} of {m['slow']}",
                extra=still,
            )
        )
    figures += lost_clicks(quick)
    for figure in figures:
        print(figure.line(), flush=True)
    return figures


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run("--quick" in sys.argv)
