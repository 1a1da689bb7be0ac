"""A channel's status messages: one per channel and topic, its chat message id and what it says now."""

from datetime import datetime

from sqlmodel import Session, delete, select

from storage.models import ChannelStatus


def get(session: Session, *, channel: str, topic: str) -> ChannelStatus | None:
    return session.get(ChannelStatus, (channel, topic))


def put(session: Session, *, channel: str, topic: str, message_id: str, text: str, at: datetime) -> None:
    row = session.get(ChannelStatus, (channel, topic))
    if row is None:
        session.add(ChannelStatus(channel=channel, topic=topic, message_id=message_id, text=text, updated_at=at))
    else:
        row.message_id, row.text, row.updated_at = message_id, text, at


def drop(session: Session, *, channel: str, topic: str) -> None:
    session.exec(delete(ChannelStatus).where(ChannelStatus.channel == channel, ChannelStatus.topic == topic))


def of_topic(session: Session, *, topic: str) -> list[ChannelStatus]:
    return list(session.exec(select(ChannelStatus).where(ChannelStatus.topic == topic)))
