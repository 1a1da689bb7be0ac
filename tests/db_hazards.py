"""What another process or an operator can do to the bot's database while it runs: hold its write lock, make it
read-only (for root too), take a table away. On SQLite and on PostgreSQL alike, from a URL of the `database_url`
fixture."""

import subprocess
import sys
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

# Run by another process: takes the database's write lock (SQLite) or locks every table against writes, not reads
# (PostgreSQL), says "held", and holds it until its stdin closes.
_HOLDER = """
import sys
url = sys.argv[1]
if url.startswith("sqlite"):
    import sqlite3
    conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
else:
    import psycopg
    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    conn.execute("LOCK TABLE " + ", ".join(f'"{t}"' for t in tables) + " IN EXCLUSIVE MODE")
print("held", flush=True)
sys.stdin.read()
"""


def _target(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        return database_url.removeprefix("sqlite:///")
    return database_url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def write_lock_held(database_url: str):
    """Another process holds the database's write lock until the block ends: readers go on, writers wait."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, database_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        if holder.stdout.readline().strip() != "held":
            raise RuntimeError(f"could not lock {database_url}")
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@contextmanager
def read_only(database_url: str):
    """The database made read-only until the block ends: chattr +i on a SQLite file (even root cannot write it
    then), the database's default_transaction_read_only on PostgreSQL (for sessions opened from now on)."""
    if database_url.startswith("sqlite"):
        path = _target(database_url)
        if subprocess.run(["chattr", "+i", path], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", path], check=True)
        return
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(_target(database_url), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    try:
        yield
    finally:
        with psycopg.connect(_target(database_url), autocommit=True) as admin:
            admin.execute("SET default_transaction_read_only = off")  # this session, to undo it
            admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')


@contextmanager
def table_away(database_url: str, table: str):
    """One of the database's tables is gone for the length of the block (renamed, then given back): every statement
    that reads it fails, as when the database is broken."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {table} RENAME TO {table}_away"))
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table}_away RENAME TO {table}"))
        engine.dispose()
