"""Counts for one period, straight from messages and events."""

from datetime import datetime

from sqlalchemy import distinct, func
from sqlmodel import Session, select

from storage.models import Case, Event, Message


def counts_between(session: Session, *, start: datetime, end: datetime) -> dict[str, int]:
    """New cases, cases claimed, cases answered (a public reply sent) and cases resolved in [start, end)."""
    new = session.exec(select(func.count()).where(Case.opened_at >= start, Case.opened_at < end)).one()

    def cases_with(kind: str) -> int:
        return session.exec(
            select(func.count(distinct(Event.case_id))).where(Event.kind == kind, Event.at >= start, Event.at < end)
        ).one()

    answered = session.exec(
        select(func.count(distinct(Message.case_id))).where(
            Message.direction == "out",
            Message.state == "sent",
            Message.posted_at >= start,
            Message.posted_at < end,
        )
    ).one()
    return {
        "new": new,
        "claimed": cases_with("claim"),
        "answered": answered,
        "resolved": cases_with("resolve"),
    }
