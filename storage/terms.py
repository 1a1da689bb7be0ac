"""The cursors of the tracked terms (X recent search)."""

from datetime import datetime

from sqlmodel import Session

from storage.models import TermCursor
from storage.upsert import insert_ignoring_duplicates


def cursor(session: Session, *, network: str, term: str) -> str | None:
    row = session.get(TermCursor, (network, term))
    return row.since_id if row else None


def advance_cursor(session: Session, *, network: str, term: str, newest_id: str, at: datetime, order_key) -> None:
    """Move the cursor forward only: `order_key` (the network's) says which of two post ids is newer."""
    insert_ignoring_duplicates(session, TermCursor, [{"network": network, "term": term}])
    row = session.get(TermCursor, (network, term))
    if row.since_id is None or order_key(newest_id) > order_key(row.since_id):
        row.since_id = newest_id
    row.cursor_updated_at = at
    session.add(row)
