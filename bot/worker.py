"""The worker: the poller and the clock, run by one process at a time (a lease in the database)."""

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from storage import leases

log = logging.getLogger(__name__)

LEASE_NAME = "worker-leader"
LEASE_TTL = timedelta(seconds=20)
HEARTBEAT_SECONDS = 5


class Worker:
    def __init__(self, bridge, settings, *, extra_jobs=()):
        self.bridge = bridge
        self.settings = settings
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.is_leader = False
        self._cycle_lock = threading.Lock()
        self.scheduler = BackgroundScheduler(timezone=settings.timezone)
        self.extra_jobs = extra_jobs

    def heartbeat(self) -> bool:
        with self.bridge.session() as s:
            held = leases.try_hold(s, name=LEASE_NAME, holder=self.identity, now=self.bridge.clock(), ttl=LEASE_TTL)
        if held != self.is_leader:
            log.info("%s leadership of the poller and the clock (%s)", "took" if held else "lost", self.identity)
        self.is_leader = held
        return held

    def poll(self) -> None:
        if not self.is_leader:
            return
        with self._cycle_lock:
            report = self.bridge.cycle()
            if any(report.values()):
                log.info("cycle: %s", report)

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
        for job in self.extra_jobs:
            job(self)
        self.scheduler.start()
        log.info("worker started (%s); polling every %ss", self.identity, self.settings.poll_interval_seconds)

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        if self.is_leader:
            with self.bridge.session() as s:
                leases.release(s, name=LEASE_NAME, holder=self.identity)


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
