"""Business hours: parse `BUSINESS_HOURS` and count the business time between two moments.

A spec is one or more comma-separated parts, each days then time ranges, in the team's time zone:
`Mon-Fri 09:00-18:00`, `Mon-Fri 09:00-13:00 14:00-18:00, Sat 10:00-14:00`, `Sun 22:00-06:00` (past midnight),
`Mon-Sun 00:00-24:00`. Windows are laid on the calendar day by day in local time and turned into UTC
instants with the zone's rules, so weekends, midnight and DST changes (a 23- or 25-hour day) come out right.
"""

import bisect
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EXAMPLE = "e.g. 'Mon-Fri 09:00-18:00, Sat 10:00-14:00'"
RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Window:
    weekday: int  # 0 = Monday
    start: int  # minutes after local midnight
    end: int  # minutes after the same midnight; beyond 1440 when the window runs past midnight


@dataclass(frozen=True)
class BusinessHours:
    spec: str
    windows: tuple[Window, ...]

    def calendar(self, tz: ZoneInfo, start: datetime, end: datetime) -> "BusinessCalendar":
        """The business intervals covering [start, end] (aware datetimes), ready for many look-ups."""
        return BusinessCalendar(self, tz, start, end)

    def seconds_between(self, tz: ZoneInfo, start: datetime, end: datetime) -> float:
        return self.calendar(tz, start, end).seconds_between(start, end)


def _day(token: str, part: str) -> int:
    word = token.strip().lower()
    for i, name in enumerate(DAY_NAMES):
        if len(word) >= 3 and name.startswith(word):
            return i
    raise ValueError(f"{token!r} in {part!r} is not a day of the week (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)")


def _days(token: str, part: str) -> list[int]:
    if "-" not in token:
        return [_day(token, part)]
    first, _, last = token.partition("-")
    a, b = _day(first, part), _day(last, part)
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


def _minutes(hours: str, minutes: str, text: str, *, end: bool) -> int:
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0) and end:
        return MINUTES_PER_DAY
    if h > 23 or m > 59:
        raise ValueError(f"{text!r} is not a time of day (00:00 to 23:59, or 24:00 as an end)")
    return h * 60 + m


def _range(token: str, part: str) -> tuple[int, int]:
    match = RANGE.match(token)
    if not match:
        raise ValueError(f"{token!r} in {part!r} is not a time range HH:MM-HH:MM ({EXAMPLE})")
    start_text, end_text = token.split("-")
    start = _minutes(match[1], match[2], start_text, end=False)
    end = _minutes(match[3], match[4], end_text, end=True)
    if end == start:
        raise ValueError(f"the time range {token!r} is empty")
    return start, end if end > start else end + MINUTES_PER_DAY


def parse_business_hours(spec: str) -> BusinessHours:
    """Parse a spec such as 'Mon-Fri 09:00-18:00, Sat 10:00-14:00'; ValueError says what is wrong."""
    if not spec or not spec.strip():
        raise ValueError(f"no business hours given ({EXAMPLE})")
    windows: list[Window] = []
    for raw_part in spec.split(","):
        part = raw_part.strip()
        if not part:
            raise ValueError(f"an empty part between commas in {spec.strip()!r} ({EXAMPLE})")
        tokens = part.split()
        if len(tokens) < 2:
            raise ValueError(f"{part!r} should be days then time ranges, as in {EXAMPLE}")
        days = _days(tokens[0], part)
        for token in tokens[1:]:
            start, end = _range(token, part)
            windows.extend(Window(day, start, end) for day in days)
    return BusinessHours(spec=spec.strip(), windows=tuple(sorted(set(windows), key=lambda w: (w.weekday, w.start))))


def _local(day: date, minutes: int, tz: ZoneInfo) -> float:
    days, minutes = divmod(minutes, MINUTES_PER_DAY)
    moment = datetime.combine(day + timedelta(days=days), time(minutes // 60, minutes % 60), tzinfo=tz)
    return moment.timestamp()


class BusinessCalendar:
    """Business intervals as UTC epoch seconds with running totals: business time between two moments is
    the difference of two look-ups, whatever lies between them."""

    def __init__(self, hours: BusinessHours, tz: ZoneInfo, start: datetime, end: datetime):
        first = start.astimezone(tz).date() - timedelta(days=2)  # a window of the day before may reach in
        last = end.astimezone(tz).date() + timedelta(days=1)
        by_day: dict[int, list[Window]] = {}
        for window in hours.windows:
            by_day.setdefault(window.weekday, []).append(window)
        intervals: list[tuple[float, float]] = []
        day = first
        while day <= last:
            for window in by_day.get(day.weekday(), ()):
                intervals.append((_local(day, window.start, tz), _local(day, window.end, tz)))
            day += timedelta(days=1)
        merged: list[list[float]] = []
        for lo, hi in sorted(intervals):
            if hi <= lo:
                continue
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.starts = [lo for lo, _ in merged]
        self.lengths = [hi - lo for lo, hi in merged]
        self.before: list[float] = []
        total = 0.0
        for length in self.lengths:
            self.before.append(total)
            total += length
        self.bounds = (_local(first, 0, tz), _local(last, MINUTES_PER_DAY, tz))

    def _cumulative(self, epoch: float) -> float:
        if not self.bounds[0] <= epoch <= self.bounds[1]:
            raise ValueError("moment outside the calendar's range")
        i = bisect.bisect_right(self.starts, epoch) - 1
        if i < 0:
            return 0.0
        return self.before[i] + min(max(epoch - self.starts[i], 0.0), self.lengths[i])

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Business seconds in [start, end]; 0 when end is not after start."""
        a, b = _epoch(start), _epoch(end)
        if b <= a:
            return 0.0
        return self._cumulative(b) - self._cumulative(a)


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
