"""INSERT ... ON CONFLICT DO NOTHING for both dialects: a duplicate key is an answer, not an error."""

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_ignoring_duplicates(session: Session, model, rows: list[dict]) -> int:
    """Insert rows, skipping those whose unique keys exist; return how many were inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Without preserve_rowcount SQLAlchemy 2.1 reports -1 for an INSERT on psycopg.
    statement = insert(model).values(rows).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    return max(session.exec(statement).rowcount or 0, 0)
