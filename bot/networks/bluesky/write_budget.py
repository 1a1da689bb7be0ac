"""Bluesky's write limits of one account, counted ahead: its PDS allows 5,000 points an hour and 35,000 a day
(a record created costs 3, updated 2, deleted 1). A write that would pass either is not sent; the caller is told when
it fits (RateLimited), as when the PDS answers 429. The points spent are kept by minute, beside the session, so a
restarted bot goes on counting."""

import json
from datetime import UTC, datetime, timedelta

from bot.domain.errors import RateLimited

CREATE, UPDATE, DELETE = 3, 2, 1
PER_HOUR, PER_DAY = 5000, 35000
KEY = "bluesky-writes"  # where the points are kept (network_session)
MINUTE = 60


class WriteBudget:
    def __init__(self, handle: str, *, per_hour: int = PER_HOUR, per_day: int = PER_DAY):
        self.handle = handle
        self.windows = ((timedelta(hours=1), per_hour, "an hour"), (timedelta(days=1), per_day, "a day"))
        self.sessions = None  # the kept state (load, save), or memory only
        self.clock = lambda: datetime.now(UTC)
        self._spent: dict[int, int] | None = None  # minute (epoch seconds) -> points

    def _load(self, now: datetime) -> dict[int, int]:
        if self._spent is None:
            saved = self.sessions.load(KEY, self.handle) if self.sessions is not None else None
            self._spent = {int(k): v for k, v in json.loads(saved).items()} if saved else {}
        oldest = (now - self.windows[-1][0]).timestamp()
        self._spent = {m: p for m, p in self._spent.items() if m + MINUTE > oldest}
        return self._spent

    def spend(self, points: int) -> None:
        """Count a write of `points`, or raise RateLimited with when it would fit."""
        now = self.clock()
        spent = self._load(now)
        for window, limit, said in self.windows:
            start = (now - window).timestamp()
            inside = sorted((m, p) for m, p in spent.items() if m + MINUTE > start)
            total = sum(p for _, p in inside)
            if total + points <= limit:
                continue
            for minute, p in inside:  # the window slides past its oldest minutes until the write fits
                total -= p
                if total + points <= limit:
                    fits = datetime.fromtimestamp(minute + MINUTE, UTC) + window
                    raise RateLimited(
                        fits, f"Bluesky's write limit of @{self.handle} ({limit:,} points {said}) is reached"
                    )
            raise RateLimited(None, f"a write of {points} points is over Bluesky's limit of {limit:,} points {said}")
        minute = int(now.timestamp()) // MINUTE * MINUTE
        spent[minute] = spent.get(minute, 0) + points
        if self.sessions is not None:
            self.sessions.save(KEY, self.handle, json.dumps(spent))
