"""What every benchmark shares: the figure type, databases at the migrations' head, the bot beside its stand-ins."""

import contextlib
import logging
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from storage import schema
from storage.engine import make_engine
from tests.fakes import FakeSlack, FakeX
from tests.harness import RunningBot, bot_env, free_port, process_env


@dataclass
class Figure:
    """One measured figure: `value` printed with `fmt`; `met` is None when the figure has no target."""

    section: str
    name: str
    value: float
    fmt: str = "{:.2f}"
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)  # raw numbers, for the smoke test and RESULTS.md

    @property
    def shown(self) -> str:
        return self.fmt.format(self.value)

    def line(self) -> str:
        verdict = "" if self.met is None else (" (met)" if self.met else " (MISSED)")
        target = f"  target {self.target}{verdict}" if self.target else ""
        note = f"  [{self.note}]" if self.note else ""
        return f"  {self.name}: {self.shown}{target}{note}"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ""
    with contextlib.suppress(OSError):
        load = f", load average {os.getloadavg()[0]:.1f} at the start"
    return (
        f"{platform.node()}: {os.cpu_count()} CPU(s) ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}{load}"
    )


def quiet_logs() -> None:
    """The bot's INFO lines (one per stored batch, per sent reply) would bury the figures."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("bot", "storage", "handlers", "slack_bolt", "slack_sdk", "tweepy", "urllib3", "waitress"):
        logging.getLogger(name).setLevel(logging.ERROR)


class Workdir:
    """A temporary folder for the run's databases, with one database migrated once and copied for each bot."""

    def __init__(self, base: str | None = None):
        self.path = Path(tempfile.mkdtemp(prefix="bench-", dir=base))
        self._template: Path | None = None
        self._count = 0

    def database_url(self) -> str:
        """A new SQLite file at the migrations' head (as `python -m bot migrate` leaves it)."""
        if self._template is None:
            self._template = self.path / "template.db"
            engine = make_engine(f"sqlite:///{self._template}")
            try:
                schema.upgrade(engine)
            finally:
                engine.dispose()
        self._count += 1
        target = self.path / f"bot-{self._count}.db"
        shutil.copyfile(self._template, target)
        return f"sqlite:///{target}"

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    """A throwaway database on the local PostgreSQL server at the migrations' head, dropped afterwards; None when no
    server answers (the figure then says it was not measured)."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    name = f"sib_bench_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    engine = make_engine(url)
    try:
        schema.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def workdir(base: str | None = None) -> Iterator[Workdir]:
    work = Workdir(base)
    try:
        yield work
    finally:
        work.close()


@contextlib.contextmanager
def running_bot(slack: FakeSlack, x: FakeX, database_url: str, **env) -> Iterator[RunningBot]:
    """The real bot (`web` plus the worker's cycle) on a real port, wired to the stand-ins by its environment."""
    bot = RunningBot(bot_env(slack, x, database_url, **env), slack)
    try:
        yield bot
    finally:
        bot.stop()


def add_customers(x: FakeX, count: int, prefix: str = "customer") -> list[dict]:
    return [
        x.add_user(f"{prefix}{i}", f"Customer {i}", followers=37 * i, location=("Madrid", "Lima", "Austin")[i % 3])
        for i in range(count)
    ]


def mention_text(i: int) -> str:
    return f"@AcmeSupport order #{100000 + i} never arrived, the tracking page has said 'in transit' for days"


class WebProcess:
    """`python -m bot web` on a free port, its output in a file."""

    def __init__(self, env: dict, cwd: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = cwd / "web.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "web"],
            env=process_env({**env, "PORT": str(self.port)}),
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not self._healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`python -m bot web` did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            return requests.get(self.base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def log_bytes(self) -> int:
        self._log.flush()
        return self.log_path.stat().st_size

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
