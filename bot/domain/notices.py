"""What the domain tells people, as typed notices: who, which case, what happened. The chat adapter renders the
words and the markup (how a person or a group is called, emoji, links); the domain never writes them."""

from dataclasses import dataclass
from enum import StrEnum


class SlaStage(StrEnum):
    WARNING = "warning"  # nearing the first-response target
    BREACHED = "breach"  # past it: said in the thread and, calling ALERT_MENTION, in the channel


@dataclass(frozen=True)
class SlaAlert:
    """A case waiting for its first public reply: said once per case per stage."""

    case_id: int
    stage: SlaStage
    minutes: int  # how long it has waited (business time when BUSINESS_HOURS is set)
    target_minutes: int
    owner: str | None  # the agent who owns it; None: nobody has claimed it
    customer_handle: str
    call: str | None = None  # whom a breach calls in the channel (ALERT_MENTION as configured), if anyone
