"""Claim, unclaim, resolve, reopen: each decided by one conditional update, recorded as an event."""

import logging

from bot.domain.types import Outcome
from storage import cases

log = logging.getLogger(__name__)

UNKNOWN_CASE = "That case is not known to the bridge (it may have been removed). Nothing was changed."


def mention(user: str | None) -> str:
    return f"<@{user}>" if user else "nobody"


class Casework:
    def __init__(self, bridge):
        self.bridge = bridge

    def claim(self, case_id: int, user: str) -> Outcome:
        return self._act(case_id, user, "claim", "open", "claimed", new_owner=user)

    def unclaim(self, case_id: int, user: str) -> Outcome:
        return self._act(case_id, user, "unclaim", "claimed", "open", owner_is=user)

    def resolve(self, case_id: int, user: str) -> Outcome:
        outcome = self._act(case_id, user, "resolve", "claimed", "resolved", owner_is=user)
        if not outcome.changed and outcome.extra.get("status") == "open":
            # An unclaimed case (spam, a thank-you) may be closed by any agent.
            outcome = self._act(case_id, user, "resolve", "open", "resolved")
        return outcome

    def reopen(self, case_id: int, user: str) -> Outcome:
        return self._act(case_id, user, "reopen", "resolved", "open")

    def _act(self, case_id, user, kind, from_status, to_status, *, owner_is=None, new_owner=None) -> Outcome:
        if not self.bridge.agents.is_agent(user):
            return Outcome(False, self.bridge.agents.refusal())
        now = self.bridge.clock()
        with self.bridge.session() as s:
            won = cases.transition(
                s,
                case_id=case_id,
                from_status=from_status,
                to_status=to_status,
                owner_is=owner_is,
                new_owner=new_owner,
                resolved_at=now if to_status == "resolved" else None,
            )
            if won:
                cases.add_event(s, case_id=case_id, kind=kind, actor=user, at=now)
            case = cases.get_case(s, case_id=case_id)
        if case is None:
            return Outcome(False, UNKNOWN_CASE)
        if not won:
            return Outcome(False, self._why_not(kind, case, user), {"status": case.status})
        log.info("case %s: %s by %s", case_id, kind, user)
        self.bridge.mirror.refresh_card(case_id)
        return Outcome(True, None, {"status": case.status})

    @staticmethod
    def _why_not(kind: str, case, user: str) -> str:
        owner = mention(case.owner)
        if case.status == "claimed" and case.owner == user:
            return {"claim": "You already own this case."}.get(kind, "Nothing changed.")
        if case.status == "claimed":
            return f"This case is already claimed by {owner}. Nothing was changed."
        if case.status == "resolved":
            return {
                "claim": "This case is resolved. Reopen it first if it needs more work.",
                "unclaim": "This case is resolved; there is nothing to unclaim.",
                "resolve": "This case is already resolved.",
            }.get(kind, "Nothing changed.")
        return {
            "unclaim": "This case is not claimed; there is nothing to unclaim.",
            "reopen": "This case is already open.",
        }.get(kind, "Nothing changed.")
