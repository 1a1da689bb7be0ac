"""Claim, unclaim, resolve, reopen: each decided by one conditional update, recorded as an event.

A click's key (the chat's id of that click, recorded before the chat heard back: bot/domain/clicks.py) is marked done
in the same transaction as what it decided, so the same click run again (the chat's redelivery, a replay, a worker
finishing an interrupted one) changes nothing and says nothing."""

import logging
from collections.abc import Callable
from datetime import datetime

from bot.domain.agents import Agents
from bot.domain.errors import ChatError, NotInChannel
from bot.domain.notices import Person, Said, said
from bot.domain.ports import Chat
from bot.domain.served import Served
from bot.domain.states import CaseStatus, EventKind
from bot.domain.types import Outcome
from storage import cases, clicks

log = logging.getLogger(__name__)

UNKNOWN_CASE = "That case is not known to the bridge (it may have been removed). Nothing was changed."


def reopened_by_customer(event) -> bool:
    """The case's latest change was a customer's post reopening it, back to the owner it had."""
    return (
        event is not None
        and event.kind == EventKind.REOPEN
        and event.actor.startswith("customer:")
        and bool(event.detail)
    )


class Casework:
    def __init__(
        self,
        *,
        session: Callable,
        clock: Callable[[], datetime],
        chat: Chat,
        agents: Agents,
        served: Served,
        refresh_card: Callable[[int], bool],
        reassign_by_anyone: bool = False,
    ):
        """`refresh_card(case_id)`: redraws a case's card after a change; `reassign_by_anyone`: any agent may hand a
        claimed case to another (else only its owner)."""
        self.session, self.clock, self.chat, self.agents, self.served = session, clock, chat, agents, served
        self.refresh_card, self.reassign_by_anyone = refresh_card, reassign_by_anyone

    # `once`: the key of the click asking; it is marked done in the transaction of the change, so a click run twice
    # (a replay, a process that took over an interrupted one) changes the case once.

    def claim(self, case_id: int, user: str, *, once: str | None = None) -> Outcome:
        return self._act(case_id, user, EventKind.CLAIM, CaseStatus.OPEN, CaseStatus.CLAIMED, new_owner=user, once=once)

    def unclaim(self, case_id: int, user: str, *, once: str | None = None) -> Outcome:
        return self._act(
            case_id, user, EventKind.UNCLAIM, CaseStatus.CLAIMED, CaseStatus.OPEN, owner_is=user, once=once
        )

    def resolve(self, case_id: int, user: str, *, once: str | None = None) -> Outcome:
        # An unclaimed case (spam, a thank-you) may be closed by any agent.
        return self._act(
            case_id,
            user,
            EventKind.RESOLVE,
            CaseStatus.CLAIMED,
            CaseStatus.RESOLVED,
            owner_is=user,
            or_from=CaseStatus.OPEN,
            once=once,
        )

    def reopen(self, case_id: int, user: str, *, once: str | None = None) -> Outcome:
        return self._act(case_id, user, EventKind.REOPEN, CaseStatus.RESOLVED, CaseStatus.OPEN, once=once)

    def reassign(self, case_id: int, user: str, to: str, *, once: str | None = None) -> Outcome:
        """Hand a claimed case to another agent: its owner can (anyone, with REASSIGN_BY_ANYONE). A case the customer
        reopened went back to its owner, who may be away: until it is next claimed, handed over or resolved, any agent
        may take it over (for themselves too)."""
        if not self.agents.is_agent(to):
            return Outcome(False, said(Person(to), " is not one of the team's agents. Nothing was changed."))
        with self.session() as s:
            case, last = cases.get_case(s, case_id=case_id), cases.last_event(s, case_id=case_id)
        takeover = case is not None and case.owner != user and reopened_by_customer(last)
        if to == user and not takeover:
            return Outcome(False, "Pick someone else: you cannot hand a case to yourself.")
        if case is not None and case.status == CaseStatus.CLAIMED and case.owner == to and not takeover:
            # The chat's picker of people cannot leave the owner out: picking them is said plainly, not done.
            return Outcome(False, said(Person(to), " already owns this case: pick someone else. Nothing was changed."))
        owner_is = None if self.reassign_by_anyone or takeover else user
        outcome = self._act(
            case_id,
            user,
            EventKind.REASSIGN,
            CaseStatus.CLAIMED,
            CaseStatus.CLAIMED,
            owner_is=owner_is,
            new_owner=to,
            detail=to,
            once=once,
        )
        if outcome.changed and to != user:  # taking a case over for oneself needs no telling
            with self.session() as s:
                case = cases.get_case(s, case_id=case_id)
            try:
                self.chat.tell(
                    case.channel,
                    to,
                    said(
                        Person(user),
                        f" handed you the case of @{case.customer_handle}: it is yours now. "
                        f"Reply in its thread to answer on {self.served.network_of(case).display_name}.",
                    ),
                    thread_id=case.thread_id,
                )
            except NotInChannel:
                outcome.notice = said(
                    "The case is ",
                    Person(to),
                    "'s now, but they are not in this channel, so they could not be told "
                    "and cannot see it: invite them (/invite), or hand the case to someone who is here.",
                )
            except ChatError as err:
                log.warning("case %s: new owner not told: %s", case_id, err)
        return outcome

    def owned_in(self, user: str, channel: str) -> list[int]:
        with self.session() as s:
            return [case.id for case in cases.claimed_by(s, owner=user, channel=channel)]

    def _act(
        self,
        case_id,
        user,
        kind,
        from_status,
        to_status,
        *,
        owner_is=None,
        new_owner=None,
        detail=None,
        or_from=None,
        once=None,
    ) -> Outcome:
        """One transaction: the click marked done, the transition from `from_status` (else from `or_from`, whoever
        owns it), its event."""
        if not self.agents.is_agent(user):
            return Outcome(False, self.agents.refusal())
        now = self.clock()
        with self.session() as s:
            if once is not None and not clicks.finish(s, key=once, at=now):
                return Outcome(False, None, {"repeat": True})  # done already, by another process or an earlier run
            won = any(
                cases.transition(
                    s,
                    case_id=case_id,
                    from_status=status,
                    to_status=to_status,
                    owner_is=owner,
                    new_owner=new_owner,
                    resolved_at=now if to_status == CaseStatus.RESOLVED else None,
                )
                for status, owner in ((from_status, owner_is), (or_from, None))
                if status is not None
            )
            if won:
                cases.add_event(s, case_id=case_id, kind=kind, actor=user, at=now, detail=detail)
            case = cases.get_case(s, case_id=case_id)
        if case is None:
            return Outcome(False, UNKNOWN_CASE)
        if not won:
            return Outcome(False, self._why_not(kind, case, user), {"status": case.status})
        log.info("case %s: %s by %s", case_id, kind, user)
        self.refresh_card(case_id)
        return Outcome(True, None, {"status": case.status})

    @staticmethod
    def _why_not(kind: str, case, user: str) -> Said | str:
        owner = Person(case.owner)
        if case.status == CaseStatus.CLAIMED and case.owner == user:
            return {"claim": "You already own this case."}.get(kind, "Nothing changed.")
        if case.status == CaseStatus.CLAIMED and kind == EventKind.REASSIGN:
            return said("Only the owner, ", owner, ", can hand this case to someone else. Nothing was changed.")
        if case.status == CaseStatus.CLAIMED:
            return said("This case is already claimed by ", owner, ". Nothing was changed.")
        if case.status == CaseStatus.RESOLVED:
            return {
                "claim": "This case is resolved. Reopen it first if it needs more work.",
                "unclaim": "This case is resolved; there is nothing to unclaim.",
                "resolve": "This case is already resolved.",
                "reassign": "This case is resolved. Reopen it first if it needs more work.",
            }.get(kind, "Nothing changed.")
        return {
            "unclaim": "This case is not claimed; there is nothing to unclaim.",
            "reassign": "This case is not claimed: the new agent can simply claim it.",
            "reopen": "This case is already open.",
        }.get(kind, "Nothing changed.")
