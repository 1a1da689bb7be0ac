"""The lease: one holder at a time, renewed by its holder, taken over only once it ran out."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, create_engine

from storage import leases

TTL = timedelta(seconds=20)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_one_holder_until_the_lease_runs_out(database_url):
    engine = create_engine(database_url)

    def hold(holder, at):
        with Session(engine) as s, s.begin():
            return leases.try_hold(s, name="leader", holder=holder, ttl=TTL, now=at)

    def holder(at):
        with Session(engine) as s:
            return leases.holder_of(s, name="leader", now=at)

    assert hold("a", T0)
    assert not hold("b", T0 + timedelta(seconds=1))
    assert hold("a", T0 + timedelta(seconds=15))  # renewed: now until 0:35
    assert not hold("b", T0 + timedelta(seconds=30))
    assert holder(T0 + timedelta(seconds=30)) == "a"
    assert holder(T0 + timedelta(seconds=36)) is None
    assert hold("b", T0 + timedelta(seconds=36))
    assert not hold("a", T0 + timedelta(seconds=37))
    engine.dispose()


def test_a_released_lease_is_free_at_once(database_url):
    engine = create_engine(database_url)
    with Session(engine) as s, s.begin():
        assert leases.try_hold(s, name="leader", holder="a", ttl=TTL, now=T0)
        leases.release(s, name="leader", holder="b")  # not b's to release
    with Session(engine) as s, s.begin():
        assert not leases.try_hold(s, name="leader", holder="b", ttl=TTL, now=T0)
        leases.release(s, name="leader", holder="a")
    with Session(engine) as s, s.begin():
        assert leases.try_hold(s, name="leader", holder="b", ttl=TTL, now=T0)
    engine.dispose()


def test_the_database_clock_decides_by_default(database_url):
    engine = create_engine(database_url)
    with Session(engine) as s, s.begin():
        now = leases.database_now(s)
        assert now.tzinfo is not None
        assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
        assert leases.try_hold(s, name="leader", holder="a", ttl=TTL)
        assert leases.holder_of(s, name="leader") == "a"
    engine.dispose()
