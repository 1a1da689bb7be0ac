"""Saved replies, by name."""

from datetime import datetime

from sqlmodel import Session, delete, select

from storage.models import SavedReply
from storage.upsert import insert_ignoring_duplicates


def add(session: Session, *, name: str, text: str, user: str, at: datetime) -> bool:
    """False when the name is taken."""
    row = {"name": name, "text": text, "created_by": user, "created_at": at}
    return insert_ignoring_duplicates(session, SavedReply, [row]) == 1


def get(session: Session, *, name: str) -> SavedReply | None:
    return session.get(SavedReply, name)


def all_names(session: Session) -> list[str]:
    return list(session.exec(select(SavedReply.name).order_by(SavedReply.name)))


def all_replies(session: Session) -> list[SavedReply]:
    return list(session.exec(select(SavedReply).order_by(SavedReply.name)))


def remove(session: Session, *, name: str) -> bool:
    return (session.exec(delete(SavedReply).where(SavedReply.name == name)).rowcount or 0) == 1
