"""Mirror: stored, not-yet-mirrored messages become the chat's cards and thread posts; stale cards are redrawn.

Works only from stored rows, so whatever a failed chat call left undone is done by the next cycle. Before
posting, the attempt is recorded; a message found with an attempt but no ts is first looked for in the
channel (by its metadata) so that a crash between posting and recording never posts it twice. The attempt is
taken with a conditional update, so two processes (a worker that lost its lease, `poll-once`) never post the
same message at once.
"""

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import backlog, spread
from bot.domain.backlog import Waiting
from bot.domain.backlog_status import BacklogStatus
from bot.domain.cards import card_view, card_views, thread_post
from bot.domain.errors import ChatError
from bot.domain.notices import Icon, said
from bot.domain.ports import Chat
from bot.domain.states import CaseStatus
from storage import cases
from storage.models import Notice
from storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)

LOOKBACK = timedelta(minutes=10)
# An attempt that another process started less than this ago may still be under way: it is left to that process.
IN_FLIGHT = timedelta(seconds=60)
# Channels mirrored side by side (one thread each); a further channel waits for one of them to be done.
MAX_CHANNELS_AT_ONCE = 8
# A card redrawn this many times in a row, each time changed again meanwhile, is left to the next cycle.
REDRAWS = 4
# A batch of messages is claimed in one transaction: as many as the chat takes in this many seconds, at most MAX_BATCH.
RECORDED_WITHIN = 1.0
MAX_BATCH = 50


class Mirror:
    def __init__(
        self,
        *,
        session: Callable,
        chat: Chat,
        clock: Callable[[], datetime],
        served,
        agents,
        inbox_channel: str | None,
        overflow: tuple[str, ...] = (),
    ):
        """`served`: the accounts served (bot.domain.served.Served): each case's network and handle; `agents`: the
        team a claimed card offers to reassign to; `inbox_channel`: where a case without a channel of its own goes;
        `overflow`: channels that take a share of a channel's new cases while it is behind (bot.domain.spread)."""
        self.session, self.chat, self.clock = session, chat, clock
        self.served, self.agents, self.inbox_channel = served, agents, inbox_channel
        self.overflow = overflow
        self.status = BacklogStatus(session, chat, clock)
        self.waiting = 0  # messages left unmirrored by the last run
        self._attempts: dict[int, datetime] = {}  # message id -> when this process last started mirroring it

    def run_once(self, limit: int = 500, proceed: Callable[[], bool] = lambda: True, until: float | None = None) -> int:
        """Mirror what is not yet in the chat (at most `limit` per channel), in the backlog's order
        (bot.domain.backlog); stops early once `proceed()` turns False (the worker lost its lease), and stops posting
        at `until` (time.monotonic()) so that the worker reads the networks again and new follow-ups go ahead.
        The chat's limit is per channel: each channel's messages go out in their order, the channels side by side, so
        that one channel waiting for its next second (or out a 429) holds up none of the others."""
        inbox = self.inbox_channel or ""
        with self.session(read_only=True) as s:
            waiting = [
                Waiting(message_id, case_id, kind, status, thread is not None, channel or inbox, followers)
                for message_id, case_id, kind, status, thread, channel, followers in cases.unmirrored_backlog(s)
            ]
            ids: dict[str, list[int]] = {}
            room: dict[str, int] = {}
            waiting = spread.deal(backlog.in_order(waiting), self.overflow, self.chat.seconds_for)
            for w in waiting:
                if w.channel not in room:
                    room[w.channel] = self._room(w.channel, limit, until)
                if len(ids.setdefault(w.channel, [])) < room[w.channel]:
                    ids[w.channel].append(w.message_id)
            queues = {channel: cases.messages_with_cases(s, message_ids=batch) for channel, batch in ids.items()}
        self.status.show(Counter(w.channel for w in waiting))
        if len(queues) <= 1:
            mirrored = sum(self._run_queue(channel, queue, proceed, until) for channel, queue in queues.items())
        else:
            with ThreadPoolExecutor(min(len(queues), MAX_CHANNELS_AT_ONCE), thread_name_prefix="mirror") as pool:
                mirrored = sum(pool.map(lambda item: self._run_queue(*item, proceed, until), queues.items()))
        self.waiting = len(waiting) - mirrored
        if proceed():
            self.refresh_stale_cards()
        return mirrored

    def _room(self, channel: str, limit: int, until: float | None) -> int:
        """How many of a channel's messages to read for this run: what the chat takes before `until`, and a few."""
        if until is None:
            return limit
        return min(limit, self.chat.posts_within(channel, max(0.0, until - time.monotonic())) + 2)

    def _run_queue(self, channel: str, rows: list, proceed: Callable[[], bool], until: float | None) -> int:
        """Post one channel's messages in their order, a batch claimed at a time (see _claim). The next batch is
        claimed while this one is posted (once the rest of this one will be shown before `until`), so that the
        database's work overlaps the chat's answers."""
        threads: dict[int, tuple[str, str]] = {}  # case id -> (channel, thread id), as posted or read
        blocked: set[int] = set()  # cases whose next message is not ours to post in this run
        posted = _Posts()
        unposted: list[_Claimed] = []  # claimed, then left: given back at the end
        size = self._batch_size(channel)
        batches = [rows[start : start + size] for start in range(0, len(rows), size)]
        if not batches:
            return 0
        batch: list[_Claimed] = []
        mirrored = 0
        with ThreadPoolExecutor(1, thread_name_prefix="mirror-claim") as ahead:

            def claim(rows_of_batch: list):
                return ahead.submit(self._claim, channel, rows_of_batch, threads, blocked, posted)

            claiming = None
            try:
                for rows_of_batch, following in zip(batches, [*batches[1:], None], strict=True):
                    claimed, claiming = claiming, None
                    batch = (claimed or claim(rows_of_batch)).result()  # a failed claim fails the run
                    if not batch:  # every message of it held elsewhere
                        if following is None or _stopping(proceed, until):
                            break
                        continue
                    while batch and not _stopping(proceed, until):
                        if claiming is None and following is not None and self._reached(channel, len(batch), until):
                            claiming = claim(following)
                        item = batch.pop(0)
                        if item.case.id in blocked:
                            unposted.append(item)
                            continue
                        try:
                            self._post(item, threads, posted)
                            mirrored += 1
                        except ChatError as err:
                            blocked.add(item.case.id)
                            log.warning("case %s: could not mirror message %s: %s", item.case.id, item.message.id, err)
                    if batch:
                        break
            finally:
                unposted += batch
                if claiming is not None:
                    unposted += _claimed_or_none(claiming)
                done = posted.take()
                if done or unposted:
                    with self.session() as s:
                        self._write(s, done)
                        self._release(s, unposted)
        return mirrored

    def _reached(self, channel: str, count: int, until: float | None) -> bool:
        """Whether the chat takes `count` more messages before `until`: only then is the next batch claimed ahead,
        rather than claimed at a slice's end only to be given back."""
        return until is None or self.chat.seconds_for(channel, count) < until - time.monotonic()

    def _batch_size(self, channel: str) -> int:
        """Messages claimed in one transaction: as many as the chat takes in RECORDED_WITHIN, so that a post's chat id
        is recorded (in the transaction claiming the batch after next) within about twice that; at a chat's pace of one
        a second, one."""
        return max(1, min(MAX_BATCH, self.chat.posts_within(channel, RECORDED_WITHIN)))

    def _claim(self, channel: str, rows: list, threads: dict, blocked: set[int], posted: "_Posts") -> list["_Claimed"]:
        """Claim a batch of messages in one transaction, which also records what was posted since the last claim (one
        commit per batch, not two per message), and read there what posting them needs: each case as it is now, the
        cards of new cases, who a reopened case went back to.

        A process that dies after posting left claimed messages without their chat ids, as a lost answer does: the
        next attempt finds each post in the chat by its metadata and records it, never posts it again. A case whose
        message another process holds waits, with its later messages, for the next cycle. A new case dealt to this
        queue's `channel` (bot.domain.spread) is moved there in this transaction, before its card is posted; one whose
        card may have been posted already (an earlier attempt) stays where that attempt went."""
        now = self.clock()
        fresh_ids = [message.id for message, _ in rows if message.mirror_started_at is None]
        with posted.recording() as done, self.session() as s:
            self._write(s, done)
            won = cases.claim_mirrors(s, message_ids=fresh_ids, at=now)
            for message, _ in rows:
                seen = message.mirror_started_at
                if seen is not None:
                    mine = self._attempts.get(message.id) == seen
                    stale_before = None if mine else now - IN_FLIGHT
                    if cases.claim_mirror(s, message_id=message.id, seen=seen, at=now, stale_before=stale_before):
                        won.add(message.id)
            kept, given_back = [], []
            for message, case in rows:
                if message.id in won and case.id not in blocked:
                    kept.append(message)
                elif message.id in won and message.mirror_started_at is None:
                    given_back.append(message.id)
                else:
                    blocked.add(case.id)
                    if message.id in won:  # a case blocked before this attempt: it is ours, looked for next time
                        self._attempts[message.id] = now
            cases.release_mirrors(s, message_ids=given_back, at=now)
            cases.move_to_channel(s, case_ids=self._moving(channel, rows, kept, threads), channel=channel)
            now_cases = cases.get_cases(s, case_ids=[message.case_id for message in kept])
            opening = {}  # case id -> the message that opens its thread with a card
            for message in kept:
                case = now_cases[message.case_id]
                if not case.thread_id and case.id not in threads:
                    opening.setdefault(case.id, message.id)
            served = self.served
            drawn = [(now_cases[i], served.network_of(now_cases[i]), served.handle_for(now_cases[i])) for i in opening]
            views = card_views(s, drawn, chat_name=self.chat.name) if drawn else {}
            follow_ups = [message for message in kept if opening.get(message.case_id) != message.id]
            reopened = cases.reopenings_told(s, messages=follow_ups) if follow_ups else {}
        for message in kept:
            self._attempts[message.id] = now
        return [
            _Claimed(
                message,
                now_cases[message.case_id],
                seen=message.mirror_started_at,
                at=now,
                view=views.get(message.case_id) if opening.get(message.case_id) == message.id else None,
                reopened_for=reopened.get(message.id),
            )
            for message in kept
        ]

    def _moving(self, channel: str, rows: list, kept: list, threads: dict) -> list[int]:
        """The cases of this batch whose card is to go to `channel`, elsewhere until now, never tried before."""
        first: dict[int, object] = {}  # case id -> its first message kept in this batch
        for message in kept:
            first.setdefault(message.case_id, message)
        return [
            case.id
            for message, case in rows
            if first.get(case.id) is message
            and message.mirror_started_at is None
            and case.thread_id is None
            and case.id not in threads
            and (case.channel or self.inbox_channel) != channel
        ]

    def _post(self, item: "_Claimed", threads: dict, posted: "_Posts") -> None:
        chat, message, case = self.chat, item.message, item.case
        network = self.served.network_of(case)
        if case.thread_id and case.id not in threads:
            threads[case.id] = (case.channel, case.thread_id)
        thread = threads.get(case.id)
        channel = thread[0] if thread else (case.channel or self.inbox_channel)
        if item.seen is not None:
            ts = chat.find_mirror(channel, thread[1] if thread else None, message.id, item.seen - LOOKBACK)
            if ts is not None:
                # The card found was drawn at some earlier state (it may have been claimed since, from the very
                # card the lost answer hid from us): record it as never synced, so the next pass redraws it.
                self._record(posted, item, channel, ts, thread, threads, synced_rev=0)
                return
        if thread:
            ts = chat.post_in_thread(thread[0], thread[1], thread_post(network, message, item.reopened_for))
            self._record(posted, item, channel, ts, thread, threads)
            return
        channel, ts = chat.post_card(channel, item.view)
        self._record(posted, item, channel, ts, thread, threads, synced_rev=case.card_rev)

    def _record(self, posted: "_Posts", item, channel, ts, thread, threads, synced_rev: int = 0) -> None:
        if not thread:
            threads[item.case.id] = (channel, ts)
        posted.add(_Posted(item.message.id, item.case.id, channel, ts, None if thread else synced_rev))

    def _write(self, s, done: list["_Posted"]) -> None:
        """Record what was posted (in the caller's transaction)."""
        cases.set_case_threads(
            s, threads=[(p.case_id, p.channel, p.ts, p.card_rev) for p in done if p.card_rev is not None]
        )
        cases.set_mirrored(s, mirror_ids={p.message_id: p.ts for p in done})
        for posted in done:
            self._attempts.pop(posted.message_id, None)

    def _release(self, s, unposted: list["_Claimed"]) -> None:
        """Give back the claims of this run's first attempts that were never posted; a repeated attempt keeps its
        claim (it may have been posted before), to be looked for in the chat next time."""
        for at in {item.at for item in unposted}:
            first_tries = [i.message.id for i in unposted if i.at == at and i.seen is None]
            cases.release_mirrors(s, message_ids=first_tries, at=at)
            for message_id in first_tries:
                self._attempts.pop(message_id, None)
        unposted.clear()

    def refresh_card(self, case_id: int) -> bool:
        """Redraw one case's card; False when the chat refused (the next cycle tries again).

        Two redraws of one card may cross on their way to the chat, the older landing last. So after each one lands,
        the case is read again: if it changed since that drawing, it is drawn again."""
        drawn = None
        for _ in range(REDRAWS):
            with self.session() as s:
                case = cases.get_case(s, case_id=case_id)
            if case is None or case.thread_id is None:
                return False
            if case.card_rev == drawn:
                return True
            if not self._draw_card(case):
                return False
            drawn = case.card_rev
        return True

    def _draw_card(self, case) -> bool:
        handle = self.served.handle_for(case)
        team = self.agents.team() if case.status == CaseStatus.CLAIMED else None
        network = self.served.network_of(case)
        with self.session() as s:
            view = card_view(s, network, case, handle, team, chat_name=self.chat.name)
        try:
            self.chat.update_card(case.channel, case.thread_id, view)
        except ChatError as err:
            log.warning("case %s: card not updated: %s", case.id, err)
            return False
        with self.session() as s:
            cases.mark_card_synced(s, case_id=case.id, rev=case.card_rev)
        return True

    def refresh_stale_cards(self, limit: int = 100) -> int:
        with self.session() as s:
            stale = cases.cases_with_stale_cards(s, limit=limit)
        return sum(self.refresh_card(case.id) for case in stale)

    def announce_gap(self, network, account, cursor: str, result, channel: str | None = None) -> None:
        """Say once, in the account's channel, that mentions between the cursor and the oldest fetched may be lost."""
        key = f"gap:{account.network}:{account.account_id}:{cursor}"
        with self.session() as s:
            if not insert_ignoring_duplicates(s, Notice, [{"key": key, "said_at": self.clock()}]):
                return
        since, until = network.post_time(cursor), network.post_time(result.oldest_id)
        between = f"between {_minute(since)} and {_minute(until)}" if since and until else "while the bridge was away"
        handle = account.handle
        name = network.display_name
        text = said(
            Icon("warning"),
            f" Some mentions of @{handle} may be missing: {between}. "
            f"{name} returns only the newest {network.reachable_mentions} mentions and more "
            f"than that arrived while the bridge was not polling. Search @{handle} on "
            f"{name} for that time range to review them.",
        )
        try:
            self.chat.say_in_channel(channel or self.inbox_channel, text)
        except ChatError as err:
            log.error("could not announce a gap in the mentions (%s): %s", err, text.plain)


@dataclass(frozen=True)
class _Claimed:
    """A message claimed for posting, with its case as read then; `seen`: the earlier attempt it was claimed over
    (None: its first); `view`: the card it opens its case's thread with."""

    message: object
    case: object
    seen: datetime | None
    at: datetime
    view: object | None
    reopened_for: str | None


@dataclass(frozen=True)
class _Posted:
    """A message posted to the chat, not yet recorded; `card_rev`: the card's revision drawn, when it opened the
    case's thread."""

    message_id: int
    case_id: int
    channel: str
    ts: str
    card_rev: int | None


class _Posts:
    """What a queue posted and has not recorded yet: added to by the posting thread, taken by the claiming one."""

    def __init__(self):
        self._lock = threading.Lock()
        self._posts: list[_Posted] = []

    def add(self, posted: _Posted) -> None:
        with self._lock:
            self._posts.append(posted)

    def take(self) -> list[_Posted]:
        with self._lock:
            taken, self._posts = self._posts, []
        return taken

    @contextlib.contextmanager
    def recording(self):
        """What to record in the caller's transaction; given back to be recorded later when it fails."""
        taken = self.take()
        try:
            yield taken
        except BaseException:
            with self._lock:
                self._posts[:0] = taken
            raise


def _claimed_or_none(claiming) -> list[_Claimed]:
    """The batch claimed ahead, to be given back; none when its claim failed (its transaction then claimed nothing)."""
    try:
        return claiming.result()
    except Exception as err:
        log.warning("claiming the next messages to mirror failed: %s", err)
        return []


def _stopping(proceed: Callable[[], bool], until: float | None) -> bool:
    return not proceed() or (until is not None and time.monotonic() >= until)


def _minute(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
