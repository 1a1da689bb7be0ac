"""The digests: every morning the SLA and resolution digests of the day before, with a chart; on Mondays the
same over the week before. Each part is recorded (kind, period) before it is posted, so it is posted at most
once, whichever worker or restart gets there first."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.domain.clock import to_utc
from bot.domain.errors import ChatError, ChatRateLimited, ChatUncertain
from bot.domain.metrics import Metrics, Period, Report, Trend
from bot.domain.ports import Chat
from storage import digest_runs

log = logging.getLogger(__name__)

DAILY, WEEKLY = "daily", "weekly"
PARTS = ("sla", "resolution", "chart")
TREND = {DAILY: ("day", 14), WEEKLY: ("week", 12)}
# Errors after which the chat may have posted after all: the claim stays, so nothing is posted twice.
UNCERTAIN = (ChatUncertain, ChatRateLimited)


@dataclass(frozen=True)
class Digest:
    """One digest message, as the chat renders it."""

    part: str  # "sla" or "resolution"
    cadence: str  # "daily" or "weekly"
    report: Report


@dataclass
class DigestsPosted:
    """What one run of a period's digests did: the parts posted, and those posted before."""

    cadence: str
    period: Period
    posted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already posted earlier


def run_kind(cadence: str, part: str) -> str:
    return f"{cadence}-{part}"


@dataclass(frozen=True)
class DigestsConfig:
    inbox_channel: str | None
    digest_channel: str | None = None  # where the digests go; the inbox channel when unset
    digest_time: time = time(9, 0)  # local time after which the day's digests are due


class Digests:
    def __init__(
        self, *, session: Callable, clock: Callable[[], datetime], chat: Chat, metrics: Metrics, config: DigestsConfig
    ):
        self.session, self.clock, self.chat, self.metrics, self.config = session, clock, chat, metrics, config

    @property
    def channel(self) -> str | None:
        return self.config.digest_channel or self.config.inbox_channel

    def latest_due_day(self, now: datetime | None = None) -> date:
        """The last day whose daily digest is due: yesterday once the local clock passed DIGEST_TIME, else the
        day before."""
        local = to_utc(now or self.clock()).astimezone(self.metrics.tz)
        back = 1 if local.time().replace(tzinfo=None) >= self.config.digest_time else 2
        return local.date() - timedelta(days=back)

    def due(self, now: datetime | None = None) -> list[tuple[str, Period]]:
        day = self.latest_due_day(now)
        metrics = self.metrics
        due = [(DAILY, metrics.days(day, day))]
        if day.weekday() == 6:  # a Sunday: the week Monday..Sunday is complete
            due.append((WEEKLY, metrics.days(day - timedelta(days=6), day)))
        return due

    def post_due(self) -> list[DigestsPosted]:
        """What the scheduler runs: the digests due now that nobody posted yet."""
        return [self.post(cadence, period) for cadence, period in self.due()]

    def daily(self, day: date) -> Period:
        return self.metrics.days(day, day)

    def weekly(self, last: date) -> Period:
        return self.metrics.days(last - timedelta(days=6), last)

    def post(self, cadence: str, period: Period, *, force: bool = False) -> DigestsPosted:
        """Post the digests of a period that are not recorded yet (all of them with `force`). A ChatError is
        raised after releasing the claim of a part the chat surely refused, so a later run may post it."""
        outcome = DigestsPosted(cadence, period)
        with self.session() as s:
            pending = [
                p
                for p in PARTS
                if force or digest_runs.get_run(s, kind=run_kind(cadence, p), period=period.key) is None
            ]
        outcome.skipped = [p for p in PARTS if p not in pending]
        if not pending:
            return outcome
        report = self.metrics.report(period)
        unit, count = TREND[cadence]
        trend = self.metrics.trend(period.last, unit=unit, count=count)
        channel = self.channel
        for part in pending:
            kind = run_kind(cadence, part)
            with self.session() as s:
                claimed = digest_runs.claim_run(s, kind=kind, period=period.key, at=self.clock())
            if not claimed and not force:
                outcome.skipped.append(part)
                continue
            try:
                self._send(channel, cadence, part, report, trend)
            except ChatError as err:
                if claimed and not isinstance(err, UNCERTAIN):
                    with self.session() as s:
                        digest_runs.release_run(s, kind=kind, period=period.key)
                log.error("%s %s digest for %s not posted: %s", cadence, part, period.key, err.message)
                raise
            outcome.posted.append(part)
            log.info("posted the %s %s digest for %s", cadence, part, period.key)
        return outcome

    def _send(self, channel: str, cadence: str, part: str, report: Report, trend: Trend) -> None:
        chat = self.chat
        if part != "chart":
            chat.post_digest(channel, Digest(part, cadence, report))
            return
        from bot.chart import trend_png

        what = "Last 12 weeks" if trend.unit == "week" else "Last 14 days"
        chat.upload_file(
            channel,
            trend_png(trend),
            f"social-trend-{cadence}-{report.period.key}.png",
            f"{what}: volume, median first response, SLA attainment",
            f"{what} to {report.period.last:%a %d %b %Y} ({trend.timezone}): cases opened, median first response "
            f"and share answered within {trend.sla_minutes:g} min.",
        )
