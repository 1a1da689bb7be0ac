"""The proof of scaling out: two `python -m bot web` and three `python -m bot worker` on one PostgreSQL.

500 mentions flow in through the X stand-in while agents claim (clicks to either web, some raced by two agents on
both webs at once) and reply in the threads. Half-way the leading worker is killed (SIGKILL); at three quarters
the next leader is frozen (SIGSTOP: alive, so only its lease running out can replace it) and woken again after
another worker took over. At the end every mention is mirrored once, every reply posted once, every case claimed
once, each digest posted once, and each new leader was active within 30 s.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlmodel import Session, create_engine, select

from bot.sandbox.standins.x_api import DAY_S
from bot.worker import LEASE_NAME
from storage import leases
from storage.models import Case, DigestRun, Event, Message
from tests.fakes import FakeSlack, FakeX, SlackDriver
from tests.harness import SIGNING_SECRET, bot_env, mirrored_ids, process_env

MENTIONS = int(os.environ.get("SCALE_MENTIONS", "500"))
FOLLOW_UP_EVERY = 4  # one mention in four is a customer's follow-up in a conversation already open
AGENTS = ("UANA", "UBEN", "UCLO", "UDAN")
FAILOVER_LIMIT = 30.0

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


class Process:
    def __init__(self, command: str, env: dict, log_path: Path):
        full_env = process_env(env)
        self.command, self.log_path = command, log_path
        with open(log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", command], env=full_env, cwd=log_path.parent, stdout=log, stderr=log
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deliver(send, deadline: float) -> bool:
    """As Slack does: a delivery without a 200 is sent again."""
    while time.monotonic() < deadline:
        if send().status == 200:
            return True
        time.sleep(0.2)
    return False


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def test_two_webs_and_three_workers_on_one_postgres(database_url, tmp_path):
    engine = create_engine(database_url)
    limits = {"create_tweet": (10 * MENTIONS, 900), "create_tweet_24h": (10 * MENTIONS, DAY_S)}
    limits["mentions"] = (100_000, 900)
    with FakeSlack() as slack, FakeX(limits=limits) as x:
        ports = [free_port(), free_port()]
        base = bot_env(slack, x, database_url, POLL_INTERVAL_SECONDS="1", POLL_OVERLAP_SECONDS="5")
        webs = [Process("web", {**base, "PORT": str(p)}, tmp_path / f"web-{i}.log") for i, p in enumerate(ports)]
        workers = [Process("worker", base, tmp_path / f"worker-{i}.log") for i in range(3)]
        by_pid = {w.pid: w for w in workers}
        drivers = [SlackDriver(slack, f"http://127.0.0.1:{p}/slack/events", SIGNING_SECRET) for p in ports]

        def holder() -> str | None:
            with Session(engine) as s:
                return leases.holder_of(s, name=LEASE_NAME)

        def leader() -> Process | None:
            held = holder()
            return by_pid.get(int(held.split(":")[1])) if held else None

        stop = threading.Event()
        expected_replies: dict[int, str] = {}
        raced: list[int] = []
        feed_progress = {"fed": 0}
        mirrored_at: list[tuple[float, int]] = []  # (monotonic time, mirrored message count), sampled

        def feed():
            customers = [x.add_user(f"customer{i}", f"Customer {i}") for i in range(MENTIONS // 3)]
            roots: dict[str, dict] = {}
            for i in range(MENTIONS):
                author = customers[i % len(customers)]
                root = roots.get(author["id"])
                if root is not None and i % FOLLOW_UP_EVERY == 0:
                    x.post(author["id"], f"@AcmeSupport any news? ({i})", in_reply_to=root["id"])
                else:
                    roots[author["id"]] = x.post(author["id"], f"@AcmeSupport problem number {i}")
                feed_progress["fed"] = i + 1
                time.sleep(0.06)

        def claim(driver, agent, case):
            deliver(
                lambda: driver.click(agent, "C_INBOX", case.thread_id, "case_claim", str(case.id)),
                time.monotonic() + 30,
            )

        def reply(driver, case, text):
            deliver(lambda: driver.say(case.owner, "C_INBOX", text, thread_ts=case.thread_id), time.monotonic() + 30)

        def agents():
            clicked: set[int] = set()
            n = 0
            while not stop.is_set():
                with Session(engine) as s:
                    cases = s.exec(select(Case).where(Case.thread_id.is_not(None))).all()
                for case in cases:
                    if stop.is_set():
                        return
                    n += 1
                    if case.status == "open" and case.id not in clicked:
                        clicked.add(case.id)
                        if case.id % 5 == 0:  # two agents on the two webs at once
                            raced.append(case.id)
                            racers = [
                                threading.Thread(target=claim, args=(d, a, case))
                                for d, a in zip(drivers, AGENTS[:2], strict=True)
                            ]
                            for t in racers:
                                t.start()
                            for t in racers:
                                t.join()
                        else:
                            claim(drivers[n % 2], AGENTS[n % len(AGENTS)], case)
                    elif case.status == "claimed" and case.id not in expected_replies:
                        expected_replies[case.id] = f"Hello from the team about case {case.id}: we are on it."
                        reply(drivers[n % 2], case, expected_replies[case.id])
                time.sleep(0.2)

        def monitor():
            while not stop.is_set():
                mirrored_at.append((time.monotonic(), len(mirrored_ids(slack))))
                time.sleep(0.2)

        def first_growth_after(moment: float) -> float:
            base_count = max((c for t, c in mirrored_at if t <= moment), default=0)
            return wait_for(
                lambda: next((t for t, c in mirrored_at if t > moment and c > base_count), None),
                FAILOVER_LIMIT + 30,
                "mirroring after the failover",
            )

        threads = [threading.Thread(target=f, daemon=True) for f in (feed, agents, monitor)]
        try:
            for port in ports:
                wait_for(lambda p=port: _healthy(p), 60, f"web on port {port}")
            first = wait_for(leader, 60, "a leading worker")
            for t in threads:
                t.start()

            wait_for(lambda: feed_progress["fed"] >= MENTIONS // 2, 120, "half the mentions fed")
            killed_at = time.monotonic()
            first.proc.send_signal(signal.SIGKILL)
            second = wait_for(lambda: (w := leader()) not in (None, first) and w, 60, "a new leader after SIGKILL")
            kill_takeover = time.monotonic() - killed_at
            kill_active = first_growth_after(killed_at + 0.5) - killed_at

            wait_for(lambda: feed_progress["fed"] >= MENTIONS * 3 // 4, 120, "three quarters fed")
            frozen_at = time.monotonic()
            second.proc.send_signal(signal.SIGSTOP)
            third = wait_for(lambda: (w := leader()) not in (None, second) and w, 60, "a new leader after SIGSTOP")
            freeze_takeover = time.monotonic() - frozen_at
            freeze_active = first_growth_after(frozen_at + freeze_takeover) - frozen_at
            second.proc.send_signal(signal.SIGCONT)
            wait_for(lambda: "lost leadership" in second.log(), 30, "the woken worker stepping down")

            threads[0].join(timeout=120)

            def drained():
                with Session(engine) as s:
                    inbound = s.exec(select(Message).where(Message.direction == "in")).all()
                    cases = s.exec(select(Case)).all()
                    out = s.exec(select(Message).where(Message.direction == "out")).all()
                done = (
                    len(inbound) == MENTIONS
                    and all(m.mirror_id for m in inbound)
                    and all(c.status == "claimed" for c in cases)
                    and len(expected_replies) == len(cases)
                    and len(out) == len(cases)
                    and all(m.state == "sent" for m in out)
                )
                return done

            wait_for(drained, 240, "every mention mirrored, every case claimed and answered", interval=1)
        finally:
            stop.set()
            for t in threads[1:]:
                t.join(timeout=30)
            for p in webs + workers:
                p.stop()

        with Session(engine) as s:
            inbound = s.exec(select(Message).where(Message.direction == "in")).all()
            cases = s.exec(select(Case)).all()
            claims = Counter(e.case_id for e in s.exec(select(Event).where(Event.kind == "claim")))
            digest_runs = s.exec(select(DigestRun)).all()
        engine.dispose()

        mirrors = mirrored_ids(slack)
        cards = [m for m in slack.messages("C_INBOX") if (m.get("metadata") or {}).get("event_type") == "social_case"]
        brand_posts = Counter(p["text"] for p in x.brand_posts())
        digest_texts = Counter(m["text"] for m in slack.messages("C_DIGEST"))
        digest_files = Counter(f.get("filename") or f.get("name") for f in slack.files)
        figures = {
            "mentions": len(inbound),
            "cases": len(cases),
            "mirrored once": sum(1 for m in inbound if mirrors[m.id] == 1),
            "duplicate mirrors": sum(n - 1 for n in mirrors.values() if n > 1),
            "unmirrored": sum(1 for m in inbound if mirrors[m.id] == 0),
            "replies": len(expected_replies),
            "replies posted once": sum(1 for t in expected_replies.values() if brand_posts[t] == 1),
            "duplicate replies": sum(n - 1 for n in brand_posts.values() if n > 1),
            "raced claims": len(raced),
            "duplicate claims": sum(n - 1 for n in claims.values() if n > 1),
            "digest parts": len(digest_runs),
            "duplicate digests": sum(n - 1 for n in (digest_texts + digest_files).values() if n > 1),
            "SIGKILL -> lease taken (s)": round(kill_takeover, 1),
            "SIGKILL -> new leader mirroring (s)": round(kill_active, 1),
            "SIGSTOP -> lease taken (s)": round(freeze_takeover, 1),
            "SIGSTOP -> new leader mirroring (s)": round(freeze_active, 1),
        }
        print("\nscale-out proof (2 web, 3 worker, PostgreSQL): " + ", ".join(f"{k} {v}" for k, v in figures.items()))

        assert len(inbound) == MENTIONS
        assert figures["unmirrored"] == 0 and figures["duplicate mirrors"] == 0
        assert len(cards) == len(cases)
        assert figures["replies posted once"] == len(expected_replies) == len(cases)
        assert figures["duplicate replies"] == 0 and set(brand_posts) == set(expected_replies.values())
        assert all(claims[c.id] == 1 for c in cases) and figures["duplicate claims"] == 0
        assert digest_runs, "no digest was posted"
        assert figures["duplicate digests"] == 0
        # Each part is one message in the channel (the chart's is its upload's), each chart one file.
        assert sum(digest_texts.values()) == len(digest_runs)
        assert sum(digest_files.values()) == len([r for r in digest_runs if r.kind.endswith("-chart")])
        assert kill_active < FAILOVER_LIMIT and freeze_active < FAILOVER_LIMIT
        assert third is not second


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
