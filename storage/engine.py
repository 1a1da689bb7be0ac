"""Engine and sessions. Nothing is created at import time: the CLI builds one engine per process."""

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)

IDLE_IN_TRANSACTION_MS = 10_000
BUSY_TIMEOUT_MS = 30_000  # SQLite: how long a writer waits for another's write lock, unless told otherwise


def make_engine(url: str) -> Engine:
    # hide_parameters: a failed statement's message (logged, shown by `doctor`) would quote its values otherwise, and
    # those include the networks' session tokens (network_session) and the customers' own words.
    if url.startswith("sqlite"):
        # More connections than the web's request threads and listeners together: a request never waits for one.
        engine = create_engine(
            url,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            pool_size=10,
            max_overflow=30,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            _enter_wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        # A deferred transaction that reads, then writes, fails at once with SQLITE_BUSY when another
        # writer got in between; taking the write lock up front makes concurrent writers queue instead.
        # A read-only session (reports) takes no write lock, so it never holds up the writers.
        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            options = conn.get_execution_options()
            wait_ms = options.get("wait_ms") or BUSY_TIMEOUT_MS
            if conn.info.get("busy_timeout_ms", BUSY_TIMEOUT_MS) != wait_ms:  # set per connection, kept until changed
                conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
                conn.info["busy_timeout_ms"] = wait_ms
            conn.exec_driver_sql("BEGIN" if options.get("read_only") else "BEGIN IMMEDIATE")

        return engine
    # Sessions in UTC, as on SQLite: whatever the server's TimeZone, dates cut in SQL are UTC dates.
    # A process frozen inside a transaction (a VM pause, SIGSTOP) would hold its row locks, and with them every
    # other process, for as long as it is frozen: the server ends such a session after a while instead, and the
    # frozen process's transaction fails and is tried again by its next cycle.
    # Every statement planned for its own values: after five runs of a prepared statement (psycopg prepares them)
    # the server may switch to one generic plan, and for a poll's look-up of 500 customers' latest cases that plan took
    # 0.25 s where the planned one took 7 ms, more with each case stored (a 10,000-mention poll: 2 s, then 3 s more
    # with each poll stored before it).
    options = (
        f"-c timezone=UTC -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
        " -c plan_cache_mode=force_custom_plan"
    )
    connect_args = {"options": options} if url.startswith("postgresql") else {}
    engine = create_engine(
        url, hide_parameters=True, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args
    )

    @event.listens_for(engine, "begin")
    def _bounded_wait(conn):
        wait_ms = conn.get_execution_options().get("wait_ms")
        if wait_ms and conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait_ms)}")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(wait_ms)}")

    return engine


def _enter_wal(cur: sqlite3.Cursor) -> None:
    """WAL, tried again until busy_timeout: SQLite refuses the switch at once, without waiting as it does for any other
    lock, when another connection holds a lock on a database still in its first journal mode (two processes started
    together on a new file: one of them failed with "database is locked")."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            busy = err.sqlite_errorname.startswith("SQLITE_BUSY")  # "database is locked", or one of its variants
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def create_schema(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False, wait_at_most: float | None = None) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises. `read_only` for one that
    only reads (on SQLite it then takes no write lock). `wait_at_most` (seconds) bounds how long it waits for
    another transaction's locks before it fails (OperationalError): for work that must answer in time."""
    options = {"read_only": True} if read_only else {}
    if wait_at_most is not None:
        options["wait_ms"] = max(1, round(wait_at_most * 1000))
    bind = engine.execution_options(**options) if options else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
