"""Figures for /social-stats (today, in the team's time zone)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.types import DayCounts
from storage import daily


def local_day_bounds(day_start_local: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC, correct across DST changes."""
    tz = day_start_local.tzinfo
    next_day = datetime.combine(day_start_local.date() + timedelta(days=1), time(0), tzinfo=tz)
    return (
        day_start_local.astimezone(UTC),
        next_day.astimezone(UTC),
    )


class Stats:
    def __init__(self, bridge):
        self.bridge = bridge

    @property
    def timezone(self) -> str:
        return self.bridge.config.timezone

    def today(self) -> DayCounts:
        tz = ZoneInfo(self.timezone)
        now_local = self.bridge.clock().astimezone(tz)
        start_local = datetime.combine(now_local.date(), time(0), tzinfo=tz)
        start, end = local_day_bounds(start_local)
        with self.bridge.session() as s:
            counts = daily.counts_between(s, start=start, end=end)
        return DayCounts(day=now_local.date().isoformat(), timezone=self.timezone, **counts)
