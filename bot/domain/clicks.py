"""Clicks (and slash commands that change something): each is recorded before the chat hears back, then its work
is done once.

The recorded click is both the memory and the queue. A retry or a replay of a click carries the same key and finds
it recorded: it changes nothing. A click whose work was interrupted (the process killed after the chat heard 200)
is finished by the worker's next cycle, once whoever began it is surely no longer on it. A click that changes a case
or a saved reply marks itself done in the same transaction as the change, so that change is made once whoever runs
it; the other verbs change only what their own conditions allow (a reply cancelled once, a post deleted once).
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.domain.casework import Casework
from bot.domain.errors import ChatError, NetworkError
from bot.domain.ports import Chat
from bot.domain.reply_changes import ReplyChanges
from bot.domain.saved import SavedReplies
from bot.domain.types import Click, Outcome
from bot.domain.verbs import Verb
from storage import clicks

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a click whose work failed this many times is given up, and its author told


class Clicks:
    def __init__(
        self,
        *,
        session: Callable,
        request_session: Callable,
        clock: Callable[[], datetime],
        chat: Chat,
        casework: Casework,
        changes: ReplyChanges,
        saved: SavedReplies,
        settle_seconds: float = 60.0,
    ):
        """`request_session()`: a transaction with a bounded wait, for the request path; `settle_seconds`: how long
        a click is left to whoever began it before it is finished by another."""
        self.session, self.request_session, self.clock, self.chat = session, request_session, clock, chat
        self.settle_seconds = settle_seconds
        self._verbs = {
            Verb.CLAIM: lambda c: casework.claim(c.target, c.user, once=c.key),
            Verb.UNCLAIM: lambda c: casework.unclaim(c.target, c.user, once=c.key),
            Verb.RESOLVE: lambda c: casework.resolve(c.target, c.user, once=c.key),
            Verb.REOPEN: lambda c: casework.reopen(c.target, c.user, once=c.key),
            Verb.REASSIGN: lambda c: casework.reassign(c.target, c.user, c.choice, once=c.key),
            Verb.SAVED_REPLY: lambda c: changes.use_saved(c.target, c.choice, c.user, key=c.key),
            Verb.SAVED_REPLY_HERE: lambda c: changes.use_saved_here(c.choice, c.user, c.channel, key=c.key),
            Verb.SAVED_ADD: lambda c: Outcome(True, saved.add(c.choice, c.text or "", c.user, once=c.key)),
            Verb.SAVED_REMOVE: lambda c: Outcome(True, saved.remove(c.choice, c.user, once=c.key)),
            Verb.UNDO: lambda c: changes.undo(c.target, c.user),
            Verb.DELETE: lambda c: changes.delete_on_network(c.target, c.user),
            Verb.REPOST: lambda c: changes.repost(c.target, c.user),
            Verb.KEEP: lambda c: changes.keep(c.target, c.user),
            Verb.SEND_LATE: lambda c: changes.send_late(c.target, c.user),
            Verb.DROP_LATE: lambda c: changes.drop_late(c.target, c.user),
        }

    def knows(self, verb: str) -> bool:
        return verb in self._verbs

    def record(self, click: Click) -> bool:
        """Record a click before the chat hears back: True when it is new (its work is begun now), False for a
        repeat (the chat's retry, a replay), which must change nothing. Raises NotRecorded when the database does not
        take it in time: the chat must then hear that the click failed."""
        with self.request_session() as s:
            return clicks.record(
                s,
                key=click.key,
                verb=click.verb,
                user=click.user,
                target=click.target,
                choice=click.choice,
                text=click.text,
                channel=click.channel,
                at=self.clock(),
            )

    def run(self, click: Click) -> Outcome:
        """Do a recorded click's work, then mark it done (if its verb did not, with its change)."""
        outcome = self._verbs[click.verb](click)
        with self.session() as s:
            clicks.finish(s, key=click.key, at=self.clock())
        return outcome

    def finish_unfinished(self) -> int:
        """Clicks recorded but not done (their process died after the chat heard 200, or their work failed): done now,
        their author told privately what came of them."""
        now = self.clock()
        cutoff = now - timedelta(seconds=self.settle_seconds)
        with self.session() as s:
            waiting = clicks.unfinished(s, started_before=cutoff)
        finished = 0
        for row in waiting:
            with self.session() as s:
                if not clicks.take_over(s, key=row.key, started_before=cutoff, at=now):
                    continue
            click = Click(row.key, row.verb, row.user, row.target, row.choice, row.text, row.channel)
            if row.attempts >= MAX_ATTEMPTS or not self.knows(click.verb):
                self._give_up(click, f"tried {row.attempts} times" if self.knows(click.verb) else "unknown verb")
                continue
            try:
                outcome = self.run(click)
            except (ChatError, NetworkError, SQLAlchemyError) as err:
                log.warning("click %s (%s by %s) not finished yet: %s", click.key, click.verb, click.user, err)
                continue
            finished += 1
            log.info("click %s (%s by %s) finished after an interruption", click.key, click.verb, click.user)
            if outcome.notice:
                self._tell(click, outcome.notice)
        return finished

    def _give_up(self, click: Click, why: str) -> None:
        with self.session() as s:
            clicks.finish(s, key=click.key, at=self.clock(), error=f"given up: {why}")
        log.error("click %s (%s by %s) given up: %s", click.key, click.verb, click.user, why)
        what = click.verb.replace("_", " ")
        self._tell(click, f"Your click ({what}) could not be finished. Check the case's card, and try again if needed.")

    def _tell(self, click: Click, text: str) -> None:
        if not click.channel:
            return
        try:
            self.chat.tell(click.channel, click.user, text)
        except ChatError as err:
            log.warning("could not tell %s what became of a click: %s", click.user, err)
