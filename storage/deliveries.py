"""Deduplication of Slack deliveries: a key seen once is never handled again."""

from datetime import datetime

from sqlmodel import Session, delete

from storage.models import SeenDelivery
from storage.upsert import insert_ignoring_duplicates


def remember(session: Session, *, keys: list[str], at: datetime) -> bool:
    """Record every key; True only when none had been seen (the caller goes on), False for a repeat."""
    keys = [k for k in dict.fromkeys(keys) if k]
    inserted = insert_ignoring_duplicates(session, SeenDelivery, [{"key": k, "seen_at": at} for k in keys])
    return inserted == len(keys)


def forget_older_than(session: Session, *, before: datetime) -> int:
    return session.exec(delete(SeenDelivery).where(SeenDelivery.seen_at < before)).rowcount or 0
