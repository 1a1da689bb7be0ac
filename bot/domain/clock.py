"""Time as the database stores it: aware datetimes in UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def said_time(moment: datetime, now: datetime) -> str:
    """A moment as a person reads it: "14:05 UTC" today, "14:05 UTC on 2026-05-02" on another day."""
    moment = to_utc(moment)
    return moment.strftime("%H:%M UTC" if moment.date() == to_utc(now).date() else "%H:%M UTC on %Y-%m-%d")
