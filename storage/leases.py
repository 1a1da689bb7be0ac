"""Leases decided by the database: one holder at a time, across processes, taken over when it expires."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session

from storage.models import Lease
from storage.upsert import insert_ignoring_duplicates


def try_hold(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; True when `holder` has it until now + ttl."""
    renewed = session.exec(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    ).rowcount
    if renewed:
        return True
    return insert_ignoring_duplicates(session, Lease, [{"name": name, "holder": holder, "expires_at": now + ttl}]) == 1


def release(session: Session, *, name: str, holder: str) -> None:
    session.exec(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
    )
