"""Clicks lost: claims clicked while the database is locked by another process for 40 s, and while the web process
is killed (SIGKILL) in the middle of a burst.

The real `python -m bot web` and `python -m bot worker` run as processes on one SQLite file, beside the stand-ins.
Each case gets one Claim click from its own agent, sent as Slack sends it. Whatever got no 200 (a 500, or no answer
at all from a dead process) is sent again as Slack's retry sends it (the same payload, signed anew,
`X-Slack-Retry-Num`), every 2 s, until it gets its 200. A click is lost when, once the bridge settled, its case is not
owned by the agent who clicked. With the write lock, the slowest answer is also given: Slack gives up after 3 s.
"""

import contextlib
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlmodel import Session, create_engine, select

from bench.common import Figure, add_customers, mention_text, workdir
from storage.models import Case
from tests.db_hazards import write_lock_held
from tests.fakes import FakeSlack, FakeX, SlackDriver
from tests.harness import SIGNING_SECRET, bot_env, buttons, cards, free_port, process_env

SECTION = "Clicks lost"
RETRY_EVERY_S = 2.0
SLACK_LATENCY_S = 0.5  # each Slack call takes this long: the listeners' work after the ack is not instant
SETTLE_WITHIN_S = 60.0  # how long the bridge gets, after the last click got its 200, to make every claim
CLICK_EVERY_S = 0.02  # the burst: a click every 20 ms; the web is killed after two thirds of them


class Process:
    """`python -m bot <command>`, on the environment given; started again after a kill."""

    def __init__(self, command: str, env: dict, logs: Path):
        self.command, self.env, self.logs = command, process_env(env), logs
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with open(self.logs / f"{self.command}-{self.starts}.log", "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", self.command], env=self.env, cwd=self.logs, stdout=log, stderr=log
            )

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.1)


def _up(driver: SlackDriver) -> bool:
    import requests

    try:
        return requests.get(driver.events_url.replace("/slack/events", "/healthz"), timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _owners(url: str) -> dict[int, str | None]:
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            return {case.id: case.owner for case in s.exec(select(Case))}
    finally:
        engine.dispose()


def scenario(n: int, *, lock_seconds: float = 0.0, kill: bool = False) -> dict:
    """n claims, one per case, under a write lock held `lock_seconds` by another process, or with the web killed
    half-way through the burst."""
    with (
        workdir() as work,
        FakeSlack(latency=SLACK_LATENCY_S) as slack,
        FakeX() as x,
    ):
        url = work.database_url()
        port = free_port()
        env = bot_env(
            slack, x, url, PORT=port, POLL_INTERVAL_SECONDS="1", REPLY_SETTLE_SECONDS="3", X_TIMEOUT_SECONDS="2"
        )
        for i, customer in enumerate(add_customers(x, n)):
            x.post(customer["id"], mention_text(i))
        worker, web = Process("worker", env, work.path), Process("web", env, work.path)
        driver = SlackDriver(slack, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
        worker.start()
        web.start()
        try:
            _wait(lambda: len(cards(slack)) == n and _up(driver), 120, f"{n} cards and the web process")
            clicks = [(f"UAGENT{i}", card) for i, card in enumerate(cards(slack))]
            expected = {int(buttons(card)["case_claim"]): agent for agent, card in clicks}
            answers: list[tuple[int, float]] = []  # (status, ms) of every request sent
            first_not_200 = 0
            lock = threading.Lock()

            def send(agent, card):
                nonlocal first_not_200
                delivery = driver.click(agent, "C_INBOX", card["ts"], "case_claim", buttons(card)["case_claim"])
                with lock:
                    answers.append((delivery.status, delivery.elapsed_ms))
                    first_not_200 += delivery.status != 200
                retry = 0
                while delivery.status != 200:
                    time.sleep(RETRY_EVERY_S)
                    retry += 1
                    delivery = driver.redeliver(delivery, retry_num=retry)
                    with lock:
                        answers.append((delivery.status, delivery.elapsed_ms))

            locked = threading.Event()

            def hold():
                with write_lock_held(url):
                    locked.set()
                    time.sleep(lock_seconds)

            holder = threading.Thread(target=hold) if lock_seconds else None
            if holder:
                holder.start()
                locked.wait(30)
            started = time.monotonic()
            with ThreadPoolExecutor(n) as pool:
                for i, (agent, card) in enumerate(clicks):
                    pool.submit(send, agent, card)
                    if kill and i == 2 * n // 3:
                        web.kill()  # SIGKILL, mid-burst: clicks answered, their work not done
                        web.start()
                    time.sleep(CLICK_EVERY_S)
            if holder:
                holder.join()
            burst_s = time.monotonic() - started
            settled = time.monotonic()
            with contextlib.suppress(RuntimeError):  # a click lost is counted below
                _wait(lambda: _owners(url) == expected, SETTLE_WITHIN_S, "every click's claim")
            settle_s = time.monotonic() - settled
            owners = _owners(url)
        finally:
            web.stop()
            worker.stop()
        by_worker = sum(
            log.read_text().count("finished after an interruption") for log in work.path.glob("worker-*.log")
        )
    lost = sum(owners.get(case_id) != agent for case_id, agent in expected.items())
    return {
        "clicks": n,
        "lost": lost,
        "first_not_200": first_not_200,
        "requests": len(answers),
        "slowest_ms": max(ms for _, ms in answers),
        "burst_s": burst_s,
        "settle_s": settle_s,
        "web_starts": web.starts,
        "finished_by_worker": by_worker,
    }


def _settled(m: dict) -> str:
    if m["lost"]:
        return f"the others still not made {SETTLE_WITHIN_S:g} s after the last click got its 200"
    return f"every claim made {m['settle_s']:.1f} s after the last click got its 200"


def run(quick: bool = False, section: str = SECTION) -> list[Figure]:
    """Both scenarios; the figures under `section` (`python -m bench hostile` shows them in its own)."""
    n = 10 if quick else 30
    lock_seconds = 5.0 if quick else 40.0
    locked = scenario(n, lock_seconds=lock_seconds)
    killed = scenario(n, kill=True)
    figures = [
        Figure(
            section,
            f"clicks lost under a {lock_seconds:g} s write lock held by another process",
            locked["lost"],
            f"{{:.0f}} of {n}",
            target="0",
            met=locked["lost"] == 0,
            note=(
                f"{locked['first_not_200']} answered other than 200 at first and sent again; {locked['requests']} "
                f"requests in all; {locked['finished_by_worker']} finished by the worker; {_settled(locked)}"
            ),
            extra=locked,
        ),
        Figure(
            section,
            f"slowest answer to a click during the {lock_seconds:g} s write lock",
            locked["slowest_ms"],
            "{:.0f} ms",
            target="< 3000 ms",
            met=locked["slowest_ms"] < 3000,
            extra=locked,
        ),
        Figure(
            section,
            "clicks lost under kill -9 of the web process mid-burst",
            killed["lost"],
            f"{{:.0f}} of {n}",
            target="0",
            met=killed["lost"] == 0,
            note=(
                f"{killed['first_not_200']} answered other than 200 (or not at all) at first and sent again; "
                f"{killed['finished_by_worker']} answered 200 but cut short, finished by the worker; {_settled(killed)}"
            ),
            extra=killed,
        ),
    ]
    return figures


if __name__ == "__main__":  # python -m bench.click_loss [--quick]; also section 7 of python -m bench hostile
    from bench.common import quiet_logs

    quiet_logs()
    for figure in run(quick="--quick" in sys.argv):
        print(figure.line(), flush=True)
