"""The order a backlog is shown in, and what the inbox is told while it is long.

A viral burst brings more than the chat lets the bridge post (often about one message a second per channel). What
waits is shown in the order agents need it:
1. follow-ups of open and claimed cases: an agent is talking to that customer and waits for them;
2. new cases, most-followed customer first (reach: who is heard by most if left waiting); direct messages count here;
3. the rest: posts found by a tracked term (nobody asked the brand) and follow-ups of resolved cases.
Within each, oldest first. A case's messages keep their own order, so its card always comes before its follow-ups.
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum

from bot.domain.sources import TERM
from bot.domain.states import CaseStatus

# A backlog shorter than this is not worth a message of its own in the channel.
SAY_ABOVE = timedelta(minutes=1)


class Tier(IntEnum):
    FOLLOW_UP = 0
    NEW_CASE = 1
    REST = 2


@dataclass(frozen=True)
class Waiting:
    """One inbound message not yet shown, with what its place in the backlog depends on."""

    message_id: int
    case_id: int
    case_kind: str
    case_status: str
    has_thread: bool
    channel: str  # where it will be shown
    followers: int | None


def tier_of(waiting: Waiting) -> Tier:
    if waiting.has_thread:
        return Tier.FOLLOW_UP if waiting.case_status in (CaseStatus.OPEN, CaseStatus.CLAIMED) else Tier.REST
    return Tier.REST if waiting.case_kind == TERM else Tier.NEW_CASE


def in_order(waiting: list[Waiting]) -> list[Waiting]:
    """The backlog in the order it is to be shown (see the module's docstring)."""
    first: dict[int, Waiting] = {}
    for w in sorted(waiting, key=lambda w: w.message_id):
        first.setdefault(w.case_id, w)

    def key(w: Waiting):
        head = first[w.case_id]  # a case's place is its first waiting message's, so its messages stay together
        tier = tier_of(head)
        reach = -(head.followers or 0) if tier == Tier.NEW_CASE else 0
        return (tier, reach, head.message_id, w.message_id)

    return sorted(waiting, key=key)


def spoken_wait(wait: timedelta) -> str:
    minutes = round(wait.total_seconds() / 60)
    if minutes < 60:
        return f"about {max(minutes, 1)} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes:02d} min"
