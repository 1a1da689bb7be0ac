"""Digest runs: a row per digest and period, inserted before the digest is posted, so it is posted at most once."""

from datetime import datetime

from sqlmodel import Session, delete

from storage.models import DigestRun
from storage.upsert import insert_ignoring_duplicates


def claim_run(session: Session, *, kind: str, period: str, at: datetime) -> bool:
    """True for the one caller that records (kind, period) first: it posts; everyone else does not."""
    return insert_ignoring_duplicates(session, DigestRun, [{"kind": kind, "period": period, "posted_at": at}]) == 1


def release_run(session: Session, *, kind: str, period: str) -> None:
    """Forget a claim whose post was refused for certain, so a later run may post it."""
    session.exec(delete(DigestRun).where(DigestRun.kind == kind, DigestRun.period == period))


def get_run(session: Session, *, kind: str, period: str) -> DigestRun | None:
    return session.get(DigestRun, (kind, period))
