"""Channel notices said once: a row per notice key, inserted when it is said, deleted when it may be said again."""

from datetime import datetime

from sqlmodel import Session, delete

from storage.models import Notice
from storage.upsert import insert_ignoring_duplicates


def say_once(session: Session, *, key: str, at: datetime) -> bool:
    """Record the notice; True when it had not been said (only then is it to be said), also across processes."""
    return bool(insert_ignoring_duplicates(session, Notice, [{"key": key, "said_at": at}]))


def forget(session: Session, *, keys: list[str]) -> int:
    """Let these notices be said again; how many had been said (one caller gets each)."""
    result = session.exec(delete(Notice).where(Notice.key.in_(keys)).execution_options(preserve_rowcount=True))
    return max(result.rowcount or 0, 0)
