"""Whether the database can be read and written, found without taking a write lock, and what a database error means
in plain words.

SQLite: a read of the schema in a deferred transaction, with a short busy timeout (in WAL mode a reader never waits
for a writer anyway), and the file, its folder and the URL allow writing. PostgreSQL: a query under a short
statement timeout; the server is not a standby in recovery and the session is not read-only.
"""

import os
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.engine import BUSY_TIMEOUT_MS

WRITABLE, READ_ONLY = "writable", "read-only"
CHECK_TIMEOUT_MS = 1000


def database_state(engine: Engine) -> str:
    """WRITABLE or READ_ONLY; raises SQLAlchemyError when the database cannot be read."""
    with engine.execution_options(read_only=True).connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA busy_timeout={CHECK_TIMEOUT_MS}")
            try:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
                query_only = conn.exec_driver_sql("PRAGMA query_only").scalar()
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                conn.rollback()
            return WRITABLE if not query_only and _sqlite_file_writable(engine.url) else READ_ONLY
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {CHECK_TIMEOUT_MS}")
            in_recovery, read_only = conn.exec_driver_sql(
                "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')"
            ).one()
            conn.rollback()
            return READ_ONLY if in_recovery or read_only == "on" else WRITABLE
        conn.exec_driver_sql("SELECT 1")
        conn.rollback()
        return WRITABLE


def _sqlite_file_writable(url) -> bool:
    path = url.database or ""
    if url.query.get("mode") == "ro" or url.query.get("immutable") == "1":
        return False
    if path.startswith("file:"):  # a URI filename (`?uri=true`): file:PATH?mode=…
        path, _, options = path.removeprefix("file:").partition("?")
        if "mode=ro" in options.split("&") or "immutable=1" in options.split("&"):
            return False
    if path in ("", ":memory:"):
        return True
    file = Path(path)
    # The journal (or WAL and shared-memory files) is written beside the database: its folder must allow it too.
    return os.access(file, os.W_OK) and os.access(file.parent, os.W_OK | os.X_OK)


LOCKED = "database is locked"


def plain_reason(err: SQLAlchemyError) -> str:
    """What went wrong, in one line."""
    reason = (str(getattr(err, "orig", None) or err).strip().splitlines() or [type(err).__name__])[0]
    if LOCKED in reason:
        return (
            f"another process holds the database's write lock (waited {BUSY_TIMEOUT_MS // 1000} s); "
            "try again when it is done"
        )
    if "readonly database" in reason:
        return "the database is read-only"
    if "unable to open database file" in reason:
        return "the SQLite file cannot be opened or created (does its folder exist, and may this user write there?)"
    return f"{type(err).__name__}: {reason}"
