"""SLA alerts: cases nearing the first-response target, and past it, said once per case per threshold."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.business_hours import parse_business_hours
from bot.domain.errors import ChatError
from bot.domain.markup import literal, mention
from storage import cases
from storage.models import Notice
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)


def mention_markup(who: str | None) -> str:
    """ALERT_MENTION as Slack markup: @here, @channel, a user group id (S…), a user id (U… / W…)."""
    if not who:
        return ""
    who = who.strip()
    if who.lower() in ("@here", "here", "@channel", "channel", "@everyone"):
        return f"<!{who.lstrip('@').lower()}>"
    if who.startswith("S"):
        return f"<!subteam^{who}>"
    if who[:1] in ("U", "W"):
        return f"<@{who}>"
    return who


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
                said += self._once(case, "breach", elapsed, target, now)
            elif elapsed >= target * config.alert_warning_ratio:
                said += self._once(case, "warning", elapsed, target, now)
        return said

    def _once(self, case, kind: str, elapsed: timedelta, target: timedelta, now: datetime) -> bool:
        key = f"sla:{case.id}:{kind}:{case.opened_at.isoformat()}"
        with self.bridge.session() as s:
            if not insert_ignoring_duplicates(s, Notice, [{"key": key, "said_at": now}]):
                return False
        minutes, goal = int(elapsed.total_seconds() // 60), int(target.total_seconds() // 60)
        owner = f" Owner: {mention(case.owner)}." if case.owner else " Nobody has claimed it."
        chat = self.bridge.chat
        try:
            if kind == "warning":
                chat.say_in_thread(
                    case.channel,
                    case.thread_id,
                    f":hourglass_flowing_sand: No public reply yet after {minutes} min: the first-response "
                    f"target is {goal} min.{owner}",
                )
                return True
            chat.say_in_thread(
                case.channel,
                case.thread_id,
                f":rotating_light: First-response target breached: no public reply after {minutes} min "
                f"(target {goal} min).{owner}",
            )
            link = chat.thread_link(case.channel, case.thread_id)
            where = f"<{link}|the case>" if link else "a case"
            call = mention_markup(self.bridge.config.alert_mention)
            customer = literal(case.customer_handle)
            chat.say_in_channel(
                case.channel,
                f"{call + ' ' if call else ''}:rotating_light: @{customer} has waited {minutes} min for a "
                f"public reply, past the {goal}-minute target — {where}.{owner}",
            )
        except ChatError as err:
            log.warning("case %s: SLA %s alert not said: %s", case.id, kind, err)
        return True
