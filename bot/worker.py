"""The worker: the poller and the clock, run by one process at a time (a lease in the database)."""

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from bot.domain import wording
from bot.domain.errors import ChatError, NotCounted
from storage import leases
from storage.health import plain_reason

log = logging.getLogger(__name__)

LEASE_NAME = leases.WORKER_LEADER
LEASE_TTL = timedelta(seconds=20)
HEARTBEAT_SECONDS = 5
ALERTS_SECONDS = 60
DUE_REPLIES_SECONDS = 1
# The leader counts its lease as lost this long before the database would let another worker take it over.
LEASE_MARGIN = timedelta(seconds=2)
DIGEST_GRACE_SECONDS = 3600  # a digest job that could not start on time (a busy or paused process) still runs
# Digests not posted (the chat refused them, the database did not answer) are tried again after this, then after
# twice as long each time, at most DIGEST_RETRY_MAX_SECONDS apart, until they are posted.
DIGEST_RETRY_SECONDS = 300
DIGEST_RETRY_MAX_SECONDS = 3600


class Worker:
    def __init__(self, bridge, settings, *, extra_jobs=()):
        self.bridge = bridge
        self.settings = settings
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{_pid_namespace()}:{uuid.uuid4().hex[:6]}"
        self._held = False
        self._valid_until = 0.0  # time.monotonic() until which the lease is surely still ours
        self._cycle_lock = threading.Lock()
        self._digest_retry = DIGEST_RETRY_SECONDS
        self.scheduler = BackgroundScheduler(timezone=settings.timezone)
        self.extra_jobs = extra_jobs

    @property
    def is_leader(self) -> bool:
        """True while the lease is surely ours: a renewal that fails (database unreachable) or comes late ends it
        by itself, before any other worker can take it, so two workers never both believe they lead."""
        return self._held and time.monotonic() < self._valid_until

    def heartbeat(self) -> bool:
        asked_at = time.monotonic()
        believed, was_leading = self._held, self.is_leader
        try:
            with self.bridge.session() as s:
                held = leases.try_hold(s, name=LEASE_NAME, holder=self.identity, ttl=LEASE_TTL)
                if not held:
                    held = self._take_over_from_dead_local_holder(s)
        except SQLAlchemyError as err:  # the database is away: keep trying; the lease runs out by itself
            log.warning("could not renew the lease (%s): %s", type(err).__name__, err)
            held = self.is_leader
        else:
            if held:
                self._valid_until = asked_at + (LEASE_TTL - LEASE_MARGIN).total_seconds()
        self._held = held
        if held != believed:
            log.info("%s leadership of the poller and the clock (%s)", "took" if held else "lost", self.identity)
        if held and not was_leading:  # new, or back after a lapse in which the clock's jobs were skipped
            self._poll_now()
            self._digests_now()
        return held

    def _take_over_from_dead_local_holder(self, session) -> bool:
        """A leader killed on this very host (a crash, a restart) is known dead at once: its successor takes over
        now rather than after the lease's TTL. Holders on other hosts are only ever outlived."""
        holder = leases.holder_of(session, name=LEASE_NAME)
        host, pid, namespace = ((holder or "").split(":") + ["", ""])[:3]
        # Containers may share a host name (host networking) but never a PID namespace: a PID is only
        # meaningful in our own.
        local = host == socket.gethostname() and namespace == _pid_namespace()
        if not local or not pid.isdigit() or _alive(int(pid)):
            return False
        log.info("the previous leader (%s) is no longer running on this host: taking over", holder)
        return leases.take_over(session, name=LEASE_NAME, from_holder=holder, holder=self.identity, ttl=LEASE_TTL)

    def _poll_now(self) -> None:
        """A new leader polls at once rather than at its next interval."""
        if self.scheduler.running:
            with contextlib.suppress(JobLookupError):
                self.scheduler.modify_job("poll", next_run_time=_now())

    def _digests_now(self) -> None:
        """A new leader (a restart, a failover) posts at once the digests due that nobody posted."""
        if self.scheduler.running:
            self.scheduler.add_job(self.digests, id="digests-catch-up", replace_existing=True, next_run_time=_now())

    def digests(self) -> None:
        """The digests due now, each posted at most once (recorded in the database before it is posted)."""
        if not self.is_leader:
            return
        try:
            self.bridge.digests.post_due()
        except ChatError as err:
            self._digests_again(err.message)
        except NotCounted as err:
            self._digests_again(err.reason)
        except SQLAlchemyError as err:
            self._digests_again(plain_reason(err))
        else:
            self._digest_retry = DIGEST_RETRY_SECONDS

    def _digests_again(self, why: str) -> None:
        log.error("digests not posted (tried again in %s): %s", wording.duration(self._digest_retry), why)
        if self.scheduler.running:
            at = _now() + timedelta(seconds=self._digest_retry)
            self.scheduler.add_job(self.digests, id="digests-again", replace_existing=True, next_run_time=at)
        self._digest_retry = min(2 * self._digest_retry, DIGEST_RETRY_MAX_SECONDS)

    def alerts(self) -> None:
        if self.is_leader:
            with _until_next_run("the SLA alerts"):
                self.bridge.alerts.run_once()

    def send_due_replies(self) -> None:
        """Replies whose undo window closed, or whose rate limit reset, go out within a second or two."""
        if self.is_leader:
            with _until_next_run("sending the due replies"):
                self.bridge.replies.send_due()

    def forget_old_deliveries(self) -> None:
        with _until_next_run("forgetting old deliveries"):
            self.bridge.forget_old_deliveries()

    def poll(self) -> None:
        if not self.is_leader:
            return
        with self._cycle_lock, self._interval_held(), _until_next_run("the poll"):
            while True:
                report = self.bridge.cycle(
                    proceed=lambda: self.is_leader, mirror_for=self.settings.backlog_poll_seconds
                )
                if any(report.values()):
                    log.info("cycle: %s", report)
                # A backlog being shown: read the networks again at once (its slice of posting took
                # backlog_poll_seconds), so that a follow-up waits that long at most, not a poll interval.
                if not (self.is_leader and report.get("waiting") and report.get("mirrored")):
                    break

    @contextlib.contextmanager
    def _interval_held(self):
        """The poll's interval waits while a backlog keeps one poll going (it would only be skipped, with a warning);
        it starts again from when that poll ends."""
        running = self.scheduler.running
        if running:
            with contextlib.suppress(JobLookupError):
                self.scheduler.pause_job("poll")
        try:
            yield
        finally:
            if running and self.scheduler.running:
                with contextlib.suppress(JobLookupError):
                    self.scheduler.resume_job("poll")

    def start(self) -> None:
        self.heartbeat()
        self.scheduler.add_job(
            self.heartbeat,
            "interval",
            seconds=HEARTBEAT_SECONDS,
            id="heartbeat",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.add_job(
            self.poll,
            "interval",
            seconds=self.settings.poll_interval_seconds,
            id="poll",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=_now(),
        )
        digest_time = self.settings.digest_time
        self.scheduler.add_job(
            self.digests,
            "cron",
            hour=digest_time.hour,
            minute=digest_time.minute,
            id="digests",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=DIGEST_GRACE_SECONDS,
        )
        self.scheduler.add_job(self.digests, id="digests-catch-up", replace_existing=True, next_run_time=_now())
        self.scheduler.add_job(
            self.forget_old_deliveries,
            "interval",
            hours=1,
            id="forget-deliveries",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )
        for job, seconds in ((self.alerts, ALERTS_SECONDS), (self.send_due_replies, DUE_REPLIES_SECONDS)):
            self.scheduler.add_job(
                job, "interval", seconds=seconds, id=job.__name__, replace_existing=True, max_instances=1, coalesce=True
            )
        for job in self.extra_jobs:
            job(self)
        self.scheduler.start()
        log.info("worker started (%s); polling every %ss", self.identity, self.settings.poll_interval_seconds)

    def stop(self) -> None:
        """Step down: a cycle under way ends at its next step, then the lease is released for another worker."""
        held, self._held = self._held, False
        self.scheduler.shutdown(wait=True)
        if held:
            with self.bridge.session() as s:
                leases.release(s, name=LEASE_NAME, holder=self.identity)


@contextlib.contextmanager
def _until_next_run(what: str):
    """A job the database failed (away, locked, broken) says so in one line, not a traceback a second, and is done
    again at its next run: whatever it left undone is found again there."""
    try:
        yield
    except SQLAlchemyError as err:
        log.warning("%s stopped, tried again at its next run: the database failed: %s", what, plain_reason(err))


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped by its parent) still answers signal 0 but runs nothing.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
