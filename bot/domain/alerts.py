"""SLA alerts: cases nearing the first-response target, and past it, said once per case per threshold."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.business_hours import parse_business_hours
from bot.domain.errors import ChatError
from bot.domain.notices import SlaAlert, SlaStage
from storage import cases
from storage.models import Notice
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertsConfig:
    sla_minutes: float = 60.0  # the first-response target
    warning_ratio: float = 0.8  # share of the target at which a case is flagged as nearing it
    mention: str | None = None  # whom a breach calls in the channel (ALERT_MENTION)
    business_hours: str | None = None  # a BUSINESS_HOURS spec: the clock counts business time only
    timezone: str = "UTC"


class Alerts:
    def __init__(self, session, chat, clock: Callable[[], datetime], config: AlertsConfig):
        self.session, self.chat, self.clock, self.config = session, chat, clock, config

    def elapsed(self, since: datetime, now: datetime) -> timedelta:
        """How much of the SLA clock has run: business time only when BUSINESS_HOURS is set."""
        config = self.config
        if not config.business_hours:
            return now - since
        hours = parse_business_hours(config.business_hours)
        calendar = hours.calendar(ZoneInfo(config.timezone), since, now)
        return timedelta(seconds=calendar.seconds_between(since, now))

    def run_once(self) -> int:
        config = self.config
        now = self.clock()
        target = timedelta(minutes=config.sla_minutes)
        with self.session() as s:
            waiting = cases.unanswered_cases(s)
        said = 0
        for case in waiting:
            elapsed = self.elapsed(case.opened_at, now)
            if elapsed >= target:
                said += self._once(case, SlaStage.BREACHED, elapsed, target, now)
            elif elapsed >= target * config.warning_ratio:
                said += self._once(case, SlaStage.WARNING, elapsed, target, now)
        return said

    def _once(self, case, stage: SlaStage, elapsed: timedelta, target: timedelta, now: datetime) -> bool:
        key = f"sla:{case.id}:{stage}:{case.opened_at.isoformat()}"
        with self.session() as s:
            if not insert_ignoring_duplicates(s, Notice, [{"key": key, "said_at": now}]):
                return False
        alert = SlaAlert(
            case_id=case.id,
            stage=stage,
            minutes=int(elapsed.total_seconds() // 60),
            target_minutes=int(target.total_seconds() // 60),
            owner=case.owner,
            customer_handle=case.customer_handle,
            call=self.config.mention,
        )
        try:
            self.chat.alert(case.channel, case.thread_id, alert)
        except ChatError as err:
            log.warning("case %s: SLA %s alert not said: %s", case.id, stage, err)
        return True
