"""Recorded clicks: a key is recorded once, before the chat hears back; its work is marked done exactly once."""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, delete, select

from storage.models import ClickRecord
from storage.upsert import insert_ignoring_duplicates


def record(
    session: Session,
    *,
    key: str,
    verb: str,
    user: str,
    target: int | None,
    choice: str | None,
    text: str | None,
    channel: str | None,
    at: datetime,
) -> bool:
    """True for a click seen for the first time (its work starts now), False for a repeat (a retry, a replay)."""
    row = {
        "key": key,
        "verb": verb,
        "user": user,
        "target": target,
        "choice": choice,
        "text": text,
        "channel": channel,
        "recorded_at": at,
        "started_at": at,
    }
    return insert_ignoring_duplicates(session, ClickRecord, [row]) == 1


def finish(session: Session, *, key: str, at: datetime, error: str | None = None) -> bool:
    """Mark a click's work done, for exactly one caller: False when it was done already. Called in the transaction
    that makes the click's change, the change and the mark are one."""
    result = session.exec(
        update(ClickRecord).where(ClickRecord.key == key, ClickRecord.done_at.is_(None)).values(done_at=at, error=error)
    )
    return result.rowcount == 1


def unfinished(session: Session, *, started_before: datetime, limit: int = 50) -> list[ClickRecord]:
    """Clicks whose work was begun long enough ago that whoever began it is surely no longer on it."""
    return list(
        session.exec(
            select(ClickRecord)
            .where(ClickRecord.done_at.is_(None), ClickRecord.started_at < started_before)
            .order_by(ClickRecord.recorded_at)
            .limit(limit)
        )
    )


def take_over(session: Session, *, key: str, started_before: datetime, at: datetime) -> bool:
    """Begin an unfinished click's work again, for one process at a time."""
    result = session.exec(
        update(ClickRecord)
        .where(ClickRecord.key == key, ClickRecord.done_at.is_(None), ClickRecord.started_at < started_before)
        .values(started_at=at, attempts=ClickRecord.attempts + 1)
    )
    return result.rowcount == 1


def forget_done_before(session: Session, *, before: datetime) -> int:
    statement = delete(ClickRecord).where(ClickRecord.done_at.is_not(None), ClickRecord.recorded_at < before)
    return session.exec(statement).rowcount or 0
