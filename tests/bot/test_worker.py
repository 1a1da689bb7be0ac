"""Leadership of the poller and the clock: one worker at a time, and a worker that cannot renew its lease stops
believing it leads before another may take over."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from bot import worker as worker_module
from bot.worker import Worker
from storage.models import Lease
from tests.db_hazards import table_away
from tests.harness import cards, wait_until


class Monotonic:
    """The workers' own clock, moved by the test: a leader's belief runs out by it, without a real wait."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def monotonic(monkeypatch):
    """A lease valid 30 s, counted as lost 5 s early (wide, so that no busy machine crosses them by accident), and
    the workers' clock in the test's hands."""
    monkeypatch.setattr(worker_module, "LEASE_TTL", timedelta(seconds=30))
    monkeypatch.setattr(worker_module, "LEASE_MARGIN", timedelta(seconds=5))
    clock = Monotonic()
    monkeypatch.setattr(worker_module, "time", clock)
    return clock


def expire_lease(bridge) -> None:
    """As the database sees it once the lease's TTL has passed."""
    with bridge.session() as s:
        s.exec(update(Lease).values(expires_at=datetime(2000, 1, 1, tzinfo=UTC)))


@pytest.fixture
def workers(make_bot):
    started = []

    def make(start=False, **extra):
        bot = make_bot(POLL_INTERVAL_SECONDS="60", **extra)
        w = Worker(bot.bridge, bot.settings)
        if start:
            w.start()
            started.append(w)
        return w

    yield make
    for w in started:
        if w.scheduler.running:
            w.stop()


def test_one_leader_among_workers(workers):
    a, b, c = workers(), workers(), workers()

    assert [a.heartbeat(), b.heartbeat(), c.heartbeat()] == [True, False, False]
    assert [a.heartbeat(), b.heartbeat(), c.heartbeat()] == [True, False, False]
    assert [w.is_leader for w in (a, b, c)] == [True, False, False]


def test_a_leader_that_does_not_renew_steps_down_before_another_may_take_over(workers, monotonic):
    a, b = workers(), workers()
    assert a.heartbeat()

    monotonic.now += 25.1  # past TTL - margin on a's own clock; the database's lease runs 30 s

    assert not a.is_leader
    assert not b.heartbeat()
    expire_lease(b.bridge)
    assert b.heartbeat()
    assert not a.heartbeat()


def test_a_renewal_that_fails_is_not_leadership(workers, monotonic, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="bot.worker")
    a = workers()
    assert a.heartbeat()

    def unreachable():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(a.bridge, "session", unreachable)
    assert a.heartbeat()  # still within the lease it has
    monotonic.now += 25.1

    assert not a.heartbeat()
    assert not a.is_leader
    assert "could not renew the lease" in caplog.text and "lost leadership" in caplog.text


def test_a_stopping_leader_hands_over_and_the_next_polls_at_once(workers, slack, x, customer):
    a = workers(start=True)
    b = workers(start=True)
    assert a.is_leader and not b.is_leader

    a.stop()
    x.post(customer["id"], "@AcmeSupport hello?")
    assert b.heartbeat()

    wait_until(lambda: cards(slack), timeout=45)  # not at the next 60 s interval


def test_a_cycle_ends_when_the_lease_is_lost_and_the_next_leader_shows_the_rest_at_once(make_bot, slack, x, customer):
    bot, next_leader = make_bot(), make_bot()  # two processes; the chat fast enough that a batch is claimed at once
    for i in range(6):
        x.post(customer["id"], f"@AcmeSupport message {i}")
    assert bot.bridge.ingest.poll() == 6
    answers = iter([True] * 5)  # the ingest and mirror steps, then three messages; then the lease is lost

    report = bot.bridge.cycle(proceed=lambda: next(answers, False))

    assert report["mirrored"] == 3
    assert "sent" not in report
    # what the first claimed and never posted is given back: not left to go stale, nor looked for in the channel
    assert next_leader.cycle()["mirrored"] == 3
    shown = [card["text"] for card in cards(slack)]
    assert [sum(f"message {i}" in text for text in shown) for i in range(6)] == [1] * 6


def test_a_database_that_fails_the_worker_says_so_in_a_line_and_the_next_poll_goes_on(
    make_bot, slack, x, customer, database_url, caplog
):
    bot = make_bot(POLL_INTERVAL_SECONDS="1")
    worker = Worker(bot.bridge, bot.settings)
    x.post(customer["id"], "@AcmeSupport hello?")
    try:
        with table_away(database_url, "message"):
            worker.start()
            wait_until(lambda: caplog.text.count("the poll stopped, tried again at its next run") >= 2)
            wait_until(lambda: "sending the due replies stopped" in caplog.text)
        wait_until(lambda: cards(slack))  # the database back: the next poll shows the mention
    finally:
        worker.stop()
    assert "no such table" in caplog.text or "does not exist" in caplog.text
    assert "raised an exception" not in caplog.text and "Traceback" not in caplog.text
