"""Read-back: a thread message the chat never delivered is found by reading the case's thread back, and handled by
the same rules as a delivered one, once.

A chat gives up on an event after a few tries (minutes) and may drop events while it rate-limits the app, so
an owner's reply typed then would be lost without a trace. The leader reads back the threads of the open and claimed
cases with recent activity, a few threads at a time and paced well under the chat's limit, from where it read last.
A message found is recorded under the same key as a delivery (channel + ts): whichever of the two comes first
handles it, the other changes nothing. Only messages older than `readback_after_seconds` are taken, so the chat's
own retries come first; and only from the last ACTIVE_WINDOW, well inside the memory of delivery keys. A reply
found this way is held, and its owner asked whether to send it (see Replies.follow_up).
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain.clock import to_utc
from bot.domain.errors import ChatError
from bot.domain.ports import Chat
from bot.domain.replies import Replies
from storage import cases

log = logging.getLogger(__name__)

ACTIVE_WINDOW = timedelta(hours=24)  # threads of cases with something stored or done this recently; < DELIVERY_MEMORY
THREADS_PER_MINUTE = 20.0  # the chat limits reading threads (50+ a minute), shared with the mirror's look-ups
BURST = 5  # threads read in one go at most


class ThreadReadback:
    def __init__(
        self,
        *,
        session: Callable,
        clock: Callable[[], datetime],
        chat: Chat,
        replies: Replies,
        readback_after_seconds: float = 360.0,
    ):
        """`readback_after_seconds`: a thread message not delivered this long after it was typed is read back."""
        self.session, self.clock, self.chat, self.replies = session, clock, chat, replies
        self.readback_after_seconds = readback_after_seconds
        self._tokens = float(BURST)
        self._refilled = time.monotonic()
        self._lock = threading.Lock()

    def _take(self) -> int:
        """How many threads may be read now (a token bucket: THREADS_PER_MINUTE, bursts of BURST)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(float(BURST), self._tokens + (now - self._refilled) * THREADS_PER_MINUTE / 60)
            self._refilled = now
            allowed = int(self._tokens)
            self._tokens -= allowed
            return allowed

    def _give_back(self, unused: int) -> None:
        with self._lock:
            self._tokens = min(float(BURST), self._tokens + unused)

    def run_once(self) -> int:
        """Read back the threads due; returns how many messages were found that the chat had never delivered."""
        allowed = self._take()
        if not allowed:
            return 0
        now = self.clock()
        since = now - ACTIVE_WINDOW
        latest = now - timedelta(seconds=self.readback_after_seconds)
        with self.session(read_only=True) as s:
            # A thread holds nothing older than its case: a case opened after `latest` has nothing to read back yet.
            due = cases.threads_to_read_back(s, active_since=since, opened_before=latest, limit=allowed)
        self._give_back(allowed - len(due))
        found = 0
        for case in due:
            oldest = max(to_utc(case.thread_read_until), since) if case.thread_read_until else since
            try:
                messages = self.chat.thread_messages(case.channel, case.thread_id, oldest=oldest, latest=latest)
            except ChatError as err:
                log.warning("case %s: thread not read back: %s", case.id, err)
                continue
            for message in messages:
                received = self.replies.record(message, late=True)
                if received.verdict in ("duplicate", "not-a-case"):
                    continue
                found += 1
                log.warning(
                    "case %s: thread message %s/%s by %s was never delivered by the chat; found by reading the "
                    "thread back (%s)",
                    case.id,
                    message.channel,
                    message.message_id,
                    message.user,
                    received.verdict,
                )
                self.replies.follow_up(received)
            with self.session() as s:
                cases.mark_thread_read(s, case_id=case.id, until=latest)
        return found
