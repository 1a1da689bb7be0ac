"""Outbound replies: recorded before the network is called, settled after, sent once."""

from datetime import datetime

from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from storage.models import Message


def get_reply(session: Session, *, message_id: int) -> Message | None:
    return session.get(Message, message_id)


def reply_for_chat_message(session: Session, *, channel: str, message_id: str) -> Message | None:
    return session.exec(
        select(Message).where(Message.chat_channel == channel, Message.chat_message_id == message_id)
    ).first()


def start_sending(session: Session, *, message_id: int, now: datetime) -> bool:
    """queued -> sending, for exactly one caller, once the reply is due."""
    result = session.exec(
        update(Message)
        .where(
            Message.id == message_id,
            Message.state == "queued",
            or_(Message.not_before.is_(None), Message.not_before <= now),
        )
        .values(state="sending", sending_since=now, attempts=Message.attempts + 1)
    )
    return result.rowcount == 1


def mark_sent(session: Session, *, message_id: int, post_id: str, at: datetime) -> None:
    session.exec(
        update(Message)
        .where(Message.id == message_id)
        .values(state="sent", post_id=post_id, posted_at=at, error=None, sending_since=None)
    )


def mark_failed(session: Session, *, message_id: int, error: str) -> None:
    session.exec(
        update(Message).where(Message.id == message_id).values(state="failed", error=error, sending_since=None)
    )


def requeue(session: Session, *, message_id: int, not_before: datetime | None, error: str | None) -> None:
    session.exec(
        update(Message)
        .where(Message.id == message_id, Message.state == "sending")
        .values(state="queued", not_before=not_before, error=error, sending_since=None)
    )


def due_replies(session: Session, *, now: datetime, limit: int = 50) -> list[Message]:
    return list(
        session.exec(
            select(Message)
            .where(
                Message.direction == "out",
                Message.state == "queued",
                or_(Message.not_before.is_(None), Message.not_before <= now),
            )
            .order_by(Message.id)
            .limit(limit)
        )
    )


def unsettled_replies(session: Session, *, started_before: datetime, limit: int = 50) -> list[Message]:
    """Replies left 'sending' (a crash or an unknown outcome) long enough that nobody is still on them."""
    return list(
        session.exec(
            select(Message)
            .where(Message.direction == "out", Message.state == "sending", Message.sending_since < started_before)
            .order_by(Message.id)
            .limit(limit)
        )
    )


def claim_unsettled(session: Session, *, message_id: int, started_before: datetime, now: datetime) -> bool:
    """Take over an unsettled reply (one settler wins), refreshing its clock."""
    result = session.exec(
        update(Message)
        .where(Message.id == message_id, Message.state == "sending", Message.sending_since < started_before)
        .values(sending_since=now)
    )
    return result.rowcount == 1


def set_notice(session: Session, *, message_id: int, notice_id: str) -> None:
    session.exec(update(Message).where(Message.id == message_id).values(notice_id=notice_id))


def cancel(session: Session, *, message_id: int, reason: str) -> bool:
    """queued or held -> cancelled, only while nothing has been sent."""
    result = session.exec(
        update(Message)
        .where(Message.id == message_id, Message.state.in_(("queued", "held")))
        .values(state="cancelled", error=reason)
    )
    return result.rowcount == 1


def release_held(session: Session, *, message_id: int) -> bool:
    """held -> queued, due at once: its owner said to send it."""
    result = session.exec(
        update(Message).where(Message.id == message_id, Message.state == "held").values(state="queued", not_before=None)
    )
    return result.rowcount == 1


def change_queued_text(session: Session, *, message_id: int, text: str) -> bool:
    """The text of a reply that has not gone out (queued, or held for its owner's decision)."""
    result = session.exec(
        update(Message).where(Message.id == message_id, Message.state.in_(("queued", "held"))).values(text=text)
    )
    return result.rowcount == 1


def keep_edit(session: Session, *, message_id: int, text: str | None) -> None:
    session.exec(update(Message).where(Message.id == message_id).values(edited_text=text))


def mark_deleted(session: Session, *, message_id: int, at: datetime) -> bool:
    result = session.exec(
        update(Message)
        .where(Message.id == message_id, Message.state == "sent", Message.deleted_at.is_(None))
        .values(deleted_at=at)
    )
    return result.rowcount == 1


def count_with_key(session: Session, *, key: str) -> int:
    """Replies under one idempotency key, its reposts included (keys `key`, `key:edit1`, ...)."""
    return session.exec(
        select(func.count()).where(or_(Message.dedupe_key == key, Message.dedupe_key.startswith(f"{key}:edit")))
    ).one()
