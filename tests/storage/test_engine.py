"""The engine's SQLite connections: what a second process meets on a database file another one is using."""

import sqlite3
import threading

from storage.engine import make_engine


def test_a_new_database_opens_once_another_process_lets_go_of_its_lock(tmp_path):
    """Two processes started together on a new file (`migrate` twice, `web` beside `worker`): the one that connects
    second waits for the other's lock, as for any lock, instead of failing with "database is locked"."""
    path = tmp_path / "new.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    letting_go = threading.Timer(0.5, other.execute, ["COMMIT"])
    letting_go.start()
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        letting_go.join()
        engine.dispose()
        other.close()
