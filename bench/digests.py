"""Digests at scale: seed 1,000,000 messages in 200,000 cases, then time the daily digests' computation and
`/social-stats 30d`, and their peak memory, on SQLite and (with --db postgres) on the local PostgreSQL.

    python bench/digests.py                      # SQLite, 1,000,000 messages
    python bench/digests.py --db postgres        # PostgreSQL (a throwaway database on TEST_POSTGRES_URL's server)
    python bench/digests.py --smoke              # 20,000 messages, for CI

Targets: each computation under 1 s, peak memory under 300 MB. The computations run in a fresh process, so its
peak RSS is what a worker answering them would use; `main(argv)` returns 0, or 1 when a target is missed.
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.chats.slack import digest_blocks  # noqa: E402
from bot.domain.bridge import Bridge, BridgeConfig  # noqa: E402
from storage import bulk  # noqa: E402
from storage.engine import create_schema, make_engine, session_scope  # noqa: E402
from storage.models import Case, Event, Message  # noqa: E402

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
TIMEZONE = "Europe/Madrid"
TARGET_SECONDS = 1.0
TARGET_MB = 300
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

AGENTS = [f"UAGENT{i:02d}" for i in range(12)]
CAMPAIGNS = ["AcmeSupport"] * 6 + ["AcmeES"] * 3 + ["AcmeBiz"]
_CITIES = (
    "Madrid Barcelona Valencia Sevilla Bilbao Lisboa Porto Paris Lyon London Manchester Dublin Berlin Munich "
    "Amsterdam Brussels Rome Milan Mexico Bogotá Lima Santiago Quito Caracas Miami Austin Toronto"
)
_WORDS = (
    "order refund delivery package late never arrived card charged twice invoice account login password app "
    "crash update store support help waiting days week broken damaged return exchange size color price discount "
    "code coupon subscription cancel renew plan upgrade battery screen warranty repair shipping tracking number "
    "address wrong missing item box courier email reply phone chat agent manager complaint thanks great service"
)
_HASHTAGS = "#refund #delivery #fail #help #customerservice #acme #latedelivery #scam #thanks #broken"
CITIES, WORDS, HASHTAGS = _CITIES.split(), _WORDS.split(), _HASHTAGS.split()

CASE_COLUMNS = [
    "id",
    "network",
    "account_id",
    "conversation_id",
    "customer_id",
    "customer_handle",
    "customer_name",
    "campaign",
    "status",
    "owner",
    "opened_at",
    "resolved_at",
    "channel",
    "thread_id",
    "card_rev",
    "card_synced_rev",
]
MESSAGE_COLUMNS = [
    "id",
    "case_id",
    "direction",
    "network",
    "post_id",
    "author_id",
    "author_handle",
    "author_name",
    "author_followers",
    "author_location",
    "text",
    "posted_at",
    "stored_at",
    "mirror_id",
    "chat_channel",
    "chat_message_id",
    "agent",
    "state",
    "attempts",
]
EVENT_COLUMNS = ["id", "case_id", "kind", "actor", "at", "detail"]


# -- seeding ---------------------------------------------------------------------------------------------


class Seeder:
    """Deterministic cases: most answered (first reply ~25 min after the post), some late, some never; most
    resolved; a few reopened by the customer and resolved again."""

    def __init__(self, cases: int, messages: int, days: int, seed: int = 7):
        self.cases, self.messages, self.days = cases, messages, days
        self.rng = random.Random(seed)
        self.message_id = self.event_id = 0
        self.now = NOW.timestamp()
        self.customers = [
            (
                f"{1_000_000 + i}",
                f"customer{i}",
                int(self.rng.lognormvariate(5, 2)),
                self.rng.choice(CITIES) if self.rng.random() < 0.7 else None,
            )
            for i in range(max(cases // 3, 1))
        ]

    def chunks(self, size: int = 5000):
        cases, messages, events = [], [], []
        base, extra = divmod(self.messages, self.cases)
        for case_id in range(1, self.cases + 1):
            self._case(case_id, base + (1 if case_id <= extra else 0), cases, messages, events)
            if len(cases) >= size:
                yield cases, messages, events
                cases, messages, events = [], [], []
        if cases:
            yield cases, messages, events

    def _text(self) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(5, 14))
        if self.rng.random() < 0.35:
            words.append(self.rng.choice(HASHTAGS))
        return "@AcmeSupport " + " ".join(words)

    def _message(self, out, case_id, direction, at, customer, agent=None):
        self.message_id += 1
        n = self.message_id
        customer_id, handle, followers, city = customer
        row = {
            "id": n,
            "case_id": case_id,
            "direction": direction,
            "network": "x",
            "post_id": str(10**15 + n),
            "author_id": customer_id if direction == "in" else "1",
            "author_handle": handle if direction == "in" else "AcmeSupport",
            "author_name": handle.title() if direction == "in" else "Acme Support",
            "author_followers": followers if direction == "in" else None,
            "author_location": city if direction == "in" else None,
            "text": self._text() if direction == "in" else "Sorry about that, we are on it: please DM us.",
            "posted_at": _dt(at),
            "stored_at": _dt(at + 20),
            "mirror_id": f"{int(at)}.{n % 10**6:06d}" if direction == "in" else None,
            "chat_channel": "C_INBOX" if direction == "out" else None,
            "chat_message_id": f"{int(at)}.{n % 10**6:06d}" if direction == "out" else None,
            "agent": agent,
            "state": "sent" if direction == "out" else None,
            "attempts": 1 if direction == "out" else 0,
        }
        out.append(row)

    def _event(self, out, case_id, kind, actor, at):
        self.event_id += 1
        out.append(
            {"id": self.event_id, "case_id": case_id, "kind": kind, "actor": actor, "at": _dt(at), "detail": None}
        )

    def _case(self, case_id, k, cases, messages, events):
        rng = self.rng
        opened = self.now - 3600 - rng.random() * (self.days * 86400 - 3600)
        customer = rng.choice(self.customers)
        agent = rng.choice(AGENTS)
        status, owner, resolved_at = "open", None, None
        recent = self.now - opened < 2 * 86400
        if rng.random() < 0.08:  # never answered: mostly closed (spam, thanks), a few still waiting if recent
            t = opened
            for _ in range(k):
                self._message(messages, case_id, "in", t, customer)
                t += rng.uniform(30, 600)
            if not recent or rng.random() < 0.5:
                resolved_at = min(opened + rng.expovariate(1 / 1800), self.now - 1)
                self._event(events, case_id, "resolve", agent, resolved_at)
                status = "resolved"
        else:
            replies = max(1, k // 2)
            inbound = k - replies
            claim = opened + 60 + rng.expovariate(1 / 480)
            self._event(events, case_id, "claim", agent, claim)
            status, owner = "claimed", agent
            reopen = rng.random() < 0.06 and inbound >= 2
            order = _interleave(inbound - (1 if reopen else 0), replies)
            t, first = opened, True
            for direction in order:
                if direction == "in":
                    self._message(messages, case_id, "in", t, customer)
                else:
                    t = max(t, claim) + (rng.expovariate(1 / 1500) if first else 0)
                    first = False
                    self._message(messages, case_id, "out", t, customer, agent)
                    self._event(events, case_id, "reply", agent, t)
                t += 30 + rng.expovariate(1 / 900)
            if t < self.now and rng.random() < (0.6 if recent else 0.97):
                resolved_at = min(t + rng.expovariate(1 / 3600), self.now - 1)
                self._event(events, case_id, "resolve", agent, resolved_at)
                status = "resolved"
                if reopen:
                    again = resolved_at + 600 + rng.expovariate(1 / 43200)
                    if again < self.now - 3600:
                        self._message(messages, case_id, "in", again, customer)
                        self._event(events, case_id, "reopen", f"customer:{customer[0]}", again + 60)
                        self._event(events, case_id, "claim", agent, again + 600)
                        resolved_at = again + 2400
                        self._event(events, case_id, "resolve", agent, resolved_at)
                    else:
                        self._message(messages, case_id, "in", t, customer)
                elif reopen:
                    pass
            elif reopen:
                self._message(messages, case_id, "in", t, customer)
        cases.append(
            {
                "id": case_id,
                "network": "x",
                "account_id": "1",
                "conversation_id": str(10**15 + case_id),
                "customer_id": customer[0],
                "customer_handle": customer[1],
                "customer_name": customer[1].title(),
                "campaign": rng.choice(CAMPAIGNS),
                "status": status,
                "owner": owner if status == "claimed" else None,
                "opened_at": _dt(opened),
                "resolved_at": _dt(resolved_at) if status == "resolved" else None,
                "channel": "C_INBOX",
                "thread_id": f"{int(opened)}.{case_id % 10**6:06d}",
                "card_rev": 1,
                "card_synced_rev": 1,
            }
        )


def _interleave(inbound: int, outbound: int) -> list[str]:
    order = []
    while inbound or outbound:
        if inbound:
            order.append("in")
            inbound -= 1
        if outbound:
            order.append("out")
            outbound -= 1
    return order


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def seed(url: str, *, cases: int, messages: int, days: int) -> dict:
    engine = make_engine(url)
    try:
        create_schema(engine)
        started = time.perf_counter()
        seeder = Seeder(cases, messages, days)
        counts = {"cases": 0, "messages": 0, "events": 0}
        for case_rows, message_rows, event_rows in seeder.chunks():
            with session_scope(engine) as s:
                counts["cases"] += bulk.insert_rows(s, Case, case_rows, columns=CASE_COLUMNS)
                counts["messages"] += bulk.insert_rows(s, Message, message_rows, columns=MESSAGE_COLUMNS)
                counts["events"] += bulk.insert_rows(s, Event, event_rows, columns=EVENT_COLUMNS)
        with session_scope(engine) as s:
            for model in (Case, Message, Event):
                bulk.reset_id_sequence(s, model)
        bulk.analyze(engine)
        counts["seconds"] = time.perf_counter() - started
        return counts
    finally:
        engine.dispose()


# -- measuring (in a fresh process) ----------------------------------------------------------------------


class NullChat:
    def thread_link(self, channel, thread_id):
        return f"https://example.slack.com/archives/{channel}/p{thread_id.replace('.', '')}"


class NullNetwork:
    name = "x"

    def profile_url(self, handle):
        return f"https://x.com/{handle}"


def measure(url: str, *, repeat: int, business_hours: str | None = None) -> dict:
    engine = make_engine(url)
    config = BridgeConfig(inbox_channel="C_INBOX", timezone=TIMEZONE, sla_minutes=60, business_hours=business_hours)
    bridge = Bridge(engine, NullChat(), {"x": NullNetwork()}, config, clock=lambda: NOW)
    metrics = bridge.metrics
    yesterday = metrics.today() - timedelta(days=1)

    def digests():
        """What the morning job computes: the day's report and the 14-day trend of the chart."""
        report = metrics.report(metrics.days(yesterday, yesterday))
        metrics.trend(yesterday)
        return report

    def digests_rendered():
        """The same, plus what is posted: both digests' blocks and the chart's PNG."""
        from bot import chart
        from bot.domain.digests import Digest

        report = metrics.report(metrics.days(yesterday, yesterday))
        trend = metrics.trend(yesterday)
        for part in ("sla", "resolution"):
            digest_blocks.digest(Digest(part, "daily", report))
        chart.trend_png(trend)
        return report

    def stats_30d():
        """What /social-stats 30d computes and renders."""
        report = metrics.report(metrics.period("30d"))
        digest_blocks.stats_answer(report)
        return report

    figures = {}
    try:
        for name, job in (("digests", digests), ("digests_rendered", digests_rendered), ("stats_30d", stats_30d)):
            times, cpu = [], []
            for _ in range(repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                report = job()
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            tracemalloc.start()
            job()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            figures[name] = {
                "first_s": times[0],
                "median_s": statistics.median(times),
                "cpu_s": statistics.median(cpu),
                "traced_peak_mb": peak / 2**20,
                "opened": report.first_response.opened,
                "resolved": report.resolution.resolved,
            }
    finally:
        engine.dispose()
    figures["process_peak_rss_mb"] = peak_rss_mb()
    figures["load_average"] = os.getloadavg()[0]
    return figures


def peak_rss_mb(pid: int | None = None) -> float:
    """This process's peak resident memory (or process `pid`'s). Linux keeps ru_maxrss across exec, so a child
    started by a big parent (the whole `python -m bench` run) would report the parent's; VmHWM belongs to this
    program's memory only."""
    try:
        with open(f"/proc/{pid or 'self'}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if pid is None else float("nan")


def _measure_in_child(url: str, repeat: int, business_hours: str | None) -> dict:
    command = [sys.executable, __file__, "--measure", url, "--repeat", str(repeat)]
    if business_hours:
        command += ["--business-hours", business_hours]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measuring failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- databases --------------------------------------------------------------------------------------------


class Database:
    """A fresh database for one run: a SQLite file, or a throwaway PostgreSQL database dropped afterwards."""

    def __init__(self, kind: str, workdir: str):
        self.kind, self.workdir, self.admin, self.name = kind, workdir, None, None

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{Path(self.workdir) / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        import psycopg

        self.admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
        self.name = f"sib_bench_{uuid.uuid4().hex[:10]}"
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{self.name}"

    def __exit__(self, *exc) -> None:
        if self.admin is not None:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.admin.close()


def run(db: str, *, cases: int, messages: int, days: int, repeat: int, business_hours: str | None = None) -> dict:
    """Seed a fresh database and measure; the figures as a dict (bench/run.py reads them)."""
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as workdir, Database(db, workdir) as url:
        seeded = seed(url, cases=cases, messages=messages, days=days)
        figures = {"db": db, "days": days, "seeded": seeded}
        figures["default"] = _measure_in_child(url, repeat, None)
        if business_hours:
            figures["business_hours"] = _measure_in_child(url, repeat, business_hours)
            figures["business_hours"]["spec"] = business_hours
        return figures


def report(figures: dict) -> bool:
    """Print the figures; True when every target is met."""
    s = figures["seeded"]
    print(
        f"\n{figures['db']}: {s['messages']:,} messages, {s['cases']:,} cases, {s['events']:,} events over "
        f"{figures['days']} days, seeded in {s['seconds']:.1f} s"
    )
    ok = True
    for variant in ("default", "business_hours"):
        if variant not in figures:
            continue
        f = figures[variant]
        label = "SLA in wall-clock time" if variant == "default" else f"SLA in business hours ({f['spec']})"
        print(f"  {label} (load average {f['load_average']:.1f} on {os.cpu_count()} CPUs):")
        for name, title in (
            ("digests", "daily digests (report + 14-day trend)"),
            ("digests_rendered", "the same, rendered (blocks + chart PNG)"),
            ("stats_30d", "/social-stats 30d (report + blocks)"),
        ):
            m = f[name]
            met = m["median_s"] < TARGET_SECONDS
            ok &= met
            print(
                f"    {title:<40} {m['median_s']:.3f} s median, {m['first_s']:.3f} s first run "
                f"(target < {TARGET_SECONDS:g} s: {'met' if met else 'MISSED'}), {m['cpu_s']:.3f} s CPU here; "
                f"{m['opened']:,} cases opened, {m['resolved']:,} resolved; "
                f"{m['traced_peak_mb']:.1f} MB allocated at peak"
            )
        met = f["process_peak_rss_mb"] < TARGET_MB
        ok &= met
        print(
            f"    peak RSS of the measuring process     {f['process_peak_rss_mb']:.0f} MB "
            f"(target < {TARGET_MB} MB: {'met' if met else 'MISSED'})"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=365, help="the span the cases are spread over")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each computation")
    parser.add_argument("--smoke", action="store_true", help="20,000 messages in 4,000 cases (CI)")
    parser.add_argument("--business-hours", default="Mon-Fri 09:00-18:00", help="also measure with these ('' skips)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:
        print(json.dumps(measure(args.measure, repeat=args.repeat, business_hours=args.business_hours or None)))
        return 0
    if args.smoke:
        args.messages, args.cases, args.repeat = 20_000, 4_000, 2
    print(
        f"Digests benchmark: {args.messages:,} messages in {args.cases:,} cases over {args.days} days, "
        f"now = {NOW:%Y-%m-%d %H:%M} UTC, TIMEZONE={TIMEZONE}, {args.repeat} timed runs each"
    )
    ok, results = True, []
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        try:
            figures = run(
                db,
                cases=args.cases,
                messages=args.messages,
                days=args.days,
                repeat=args.repeat,
                business_hours=args.business_hours or None,
            )
        except ImportError as err:
            print(f"\n{db}: skipped ({err})")
            continue
        except Exception as err:
            if db == "postgres" and type(err).__name__ == "OperationalError":
                print(f"\npostgres: skipped, not reachable at {POSTGRES_ADMIN_URL} ({err})")
                continue
            raise
        results.append(figures)
        ok &= report(figures)
    if args.json:
        print(json.dumps(results, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
