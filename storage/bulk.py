"""Bulk loading (seeding, benchmarks): many rows per statement, COPY on PostgreSQL, no ORM objects."""

from collections.abc import Iterable

from sqlalchemy import insert, text
from sqlmodel import Session


def insert_rows(session: Session, model, rows: Iterable[dict], *, columns: list[str]) -> int:
    """Insert rows (dicts holding `columns`, datetimes aware); the model's other columns take their defaults.
    Returns how many."""
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        # COPY knows only the database's defaults: the models' scalar defaults are sent with each row.
        defaults = {
            c.name: c.default.arg
            for c in table.c
            if c.name not in columns and c.default is not None and c.default.is_scalar
        }
        names = ", ".join(f'"{c}"' for c in [*columns, *defaults])
        driver = session.connection().connection.driver_connection
        count = 0
        with driver.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([*(row[c] for c in columns), *defaults.values()])
                count += 1
        return count
    rows = list(rows)
    if rows:
        session.execute(insert(table), rows)
    return len(rows)


def reset_id_sequence(session: Session, model) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL's id sequence past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    name = model.__table__.name
    session.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{name}\"), 1))"
        )
    )


def analyze(engine) -> None:
    """After a bulk load, what autovacuum would do in time on PostgreSQL (the planner's statistics and the
    visibility map that index-only scans rely on), and the planner's statistics on SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
