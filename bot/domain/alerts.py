"""SLA alerts: cases nearing the first-response target, and past it, said once per case per threshold."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.business_hours import parse_business_hours
from bot.domain.errors import ChatError
from bot.domain.notices import SlaAlert, SlaStage
from storage import cases
from storage.models import Notice
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)


class Alerts:
    def __init__(self, bridge):
        self.bridge = bridge

    def elapsed(self, since: datetime, now: datetime) -> timedelta:
        """How much of the SLA clock has run: business time only when BUSINESS_HOURS is set."""
        config = self.bridge.config
        if not config.business_hours:
            return now - since
        hours = parse_business_hours(config.business_hours)
        calendar = hours.calendar(ZoneInfo(config.timezone), since, now)
        return timedelta(seconds=calendar.seconds_between(since, now))

    def run_once(self) -> int:
        config = self.bridge.config
        now = self.bridge.clock()
        target = timedelta(minutes=config.sla_minutes)
        with self.bridge.session() as s:
            waiting = cases.unanswered_cases(s)
        said = 0
        for case in waiting:
            elapsed = self.elapsed(case.opened_at, now)
            if elapsed >= target:
                said += self._once(case, SlaStage.BREACHED, elapsed, target, now)
            elif elapsed >= target * config.alert_warning_ratio:
                said += self._once(case, SlaStage.WARNING, elapsed, target, now)
        return said

    def _once(self, case, stage: SlaStage, elapsed: timedelta, target: timedelta, now: datetime) -> bool:
        key = f"sla:{case.id}:{stage}:{case.opened_at.isoformat()}"
        with self.bridge.session() as s:
            if not insert_ignoring_duplicates(s, Notice, [{"key": key, "said_at": now}]):
                return False
        alert = SlaAlert(
            case_id=case.id,
            stage=stage,
            minutes=int(elapsed.total_seconds() // 60),
            target_minutes=int(target.total_seconds() // 60),
            owner=case.owner,
            customer_handle=case.customer_handle,
            call=self.bridge.config.alert_mention,
        )
        try:
            self.bridge.chat.alert(case.channel, case.thread_id, alert)
        except ChatError as err:
            log.warning("case %s: SLA %s alert not said: %s", case.id, stage, err)
        return True
