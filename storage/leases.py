"""Leases decided by the database: one holder at a time, across processes, taken over when it expires."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from storage.models import Lease
from storage.upsert import insert_ignoring_duplicates

WORKER_LEADER = "worker-leader"  # the lease of the worker that polls, sends due replies and runs the clock


def database_now(session: Session) -> datetime:
    """The database server's clock on PostgreSQL, so that workers on hosts whose clocks differ agree on when a
    lease expires; SQLite lives on one host, whose clock is the machine's."""
    if session.get_bind().dialect.name == "postgresql":
        return session.exec(select(func.now())).one().astimezone(UTC)
    return datetime.now(UTC)


def try_hold(session: Session, *, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take or renew the lease; True when `holder` has it until now + ttl (now: the database's clock by default)."""
    now = now or database_now(session)
    renewed = session.exec(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    ).rowcount
    if renewed:
        return True
    return insert_ignoring_duplicates(session, Lease, [{"name": name, "holder": holder, "expires_at": now + ttl}]) == 1


def holder_of(session: Session, *, name: str, now: datetime | None = None) -> str | None:
    """Who holds the lease now; None when nobody does."""
    now = now or database_now(session)
    lease = session.get(Lease, name)
    return lease.holder if lease is not None and lease.expires_at >= now else None


def take_over(session: Session, *, name: str, from_holder: str, holder: str, ttl: timedelta) -> bool:
    """Take the lease from a holder known to be dead, without waiting for it to expire."""
    now = database_now(session)
    return (
        session.exec(
            update(Lease)
            .where(Lease.name == name, Lease.holder == from_holder)
            .values(holder=holder, expires_at=now + ttl)
        ).rowcount
        == 1
    )


def release(session: Session, *, name: str, holder: str) -> None:
    session.exec(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
    )
