"""The cursors of the tracked terms (X recent search)."""

from datetime import datetime

from sqlmodel import Session

from storage.models import TermCursor
from storage.upsert import insert_ignoring_duplicates


def cursor(session: Session, *, network: str, term: str) -> str | None:
    row = session.get(TermCursor, (network, term))
    return row.since_id if row else None


def advance_cursor(session: Session, *, network: str, term: str, newest_id: str, at: datetime) -> None:
    """Move the cursor forward only: post ids are numeric snowflakes, compared as numbers."""
    insert_ignoring_duplicates(session, TermCursor, [{"network": network, "term": term}])
    row = session.get(TermCursor, (network, term))
    if row.since_id is None or int(newest_id) > int(row.since_id):
        row.since_id = newest_id
    row.cursor_updated_at = at
    session.add(row)
