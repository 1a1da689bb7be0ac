"""Networks' signed-in sessions, one per brand account, kept across restarts (see models.NetworkSession)."""

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.models import NetworkSession


def load(session: Session, *, network: str, handle: str) -> str | None:
    row = session.get(NetworkSession, (network, handle.lower()))
    return row.session if row is not None else None


def save(session: Session, *, network: str, handle: str, value: str, at: datetime) -> None:
    row = session.get(NetworkSession, (network, handle.lower()))
    if row is None:
        session.add(NetworkSession(network=network, handle=handle.lower(), session=value, saved_at=at))
    else:
        row.session, row.saved_at = value, at


class KeptSessions:
    """What a network adapter is given to keep its session in the database: load and save, each in its own
    short transaction (a refreshed session is saved when the network's library refreshes it)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def load(self, network: str, handle: str) -> str | None:
        with Session(self.engine) as s:
            return load(s, network=network, handle=handle)

    def save(self, network: str, handle: str, value: str) -> None:
        with Session(self.engine) as s:
            save(s, network=network, handle=handle, value=value, at=datetime.now(UTC))
            s.commit()
