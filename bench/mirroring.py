"""1. Mirroring overhead, and 6. where its time goes.

N new mentions wait on the X stand-in; the bot's cycle (`bridge.cycle()`: fetch them, store them, post a card per
new case and a thread post per follow-up) is timed against a bare slack_sdk loop posting the same messages (the
same text, blocks and metadata, read back from the stand-in) to the same Slack stand-in. Rounds alternate which
goes first, and the figure is the median of the per-round ratios, so the machine's noise hits both sides alike.

The stand-ins answer from processes of their own (bench.apart), as Slack and X answer from machines of their own:
served from the bench's process, their work would take turns with the bot's under one interpreter lock, and the
bot's database work could not overlap its posts' round trips as it does against the real services.
"""

import contextlib
import time
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy import event

from bench.apart import apart
from bench.common import Figure, add_customers, median, mention_text, postgres_database, running_bot, workdir
from tests.fakes import FakeSlack, FakeX

SECTION = "1. Mirroring overhead"
PROFILE_SECTION = "6. Profile of (1)"
TARGET_RATIO = 0.9
FOLLOW_UP_EVERY = 5  # one mention in five is a customer's follow-up: a thread post, not a card
CUSTOMERS = 50
BARE_CHANNEL = "C_BARE"


class Round:
    """Puts `n` new mentions on X: mostly new conversations, some follow-ups of this round's earlier ones."""

    def __init__(self, x: FakeX, customers: list[dict]):
        self.x, self.customers, self.count = x, customers, 0

    def post(self, n: int) -> None:
        firsts: dict[str, dict] = {}
        for i in range(n):
            self.count += 1
            customer = self.customers[i % len(self.customers)]
            earlier = firsts.get(customer["id"])
            if earlier is not None and i % FOLLOW_UP_EVERY == 0:
                self.x.post(customer["id"], f"@AcmeSupport any news? ({self.count})", in_reply_to=earlier["id"])
            else:
                firsts[customer["id"]] = self.x.post(customer["id"], mention_text(self.count))


def bot_round(bot, rounds: Round, n: int) -> tuple[float, float]:
    """The cycle's time, and the part of it its mirroring step took (the rest: fetching from X and storing)."""
    rounds.post(n)
    mirror = bot.bridge.mirror
    run_once, spent = mirror.run_once, []

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return run_once(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    mirror.run_once = timed
    try:
        started = time.perf_counter()
        report = bot.cycle()
        elapsed = time.perf_counter() - started
    finally:
        del mirror.run_once
    if report.get("ingested") != n or report.get("mirrored") != n or report["errors"]:
        raise RuntimeError(f"the bot's cycle did not mirror {n} mentions: {report}")
    return elapsed, sum(spent)


def bare_round(client: WebClient, prepared: list[dict]) -> float:
    """Post the prepared messages as the bot posted them, thread posts under the bare copies of their parents."""
    parents: dict[str, str] = {}
    started = time.perf_counter()
    for message in prepared:
        thread_ts = message.get("thread_ts")
        response = client.chat_postMessage(
            channel=BARE_CHANNEL,
            text=message["text"],
            blocks=message["blocks"],
            metadata=message["metadata"],
            thread_ts=parents[thread_ts] if thread_ts and thread_ts != message["ts"] else None,
            unfurl_links=False,
            unfurl_media=False,
        )
        parents[message["ts"]] = response["ts"]
    return time.perf_counter() - started


def standins(*, slack_latency: float = 0.0, in_process: bool = False):
    """The Slack and X stand-ins, each in a process of its own unless `in_process`."""
    serve = (lambda factory, **kwargs: factory(**kwargs)) if in_process else apart
    slack = serve(FakeSlack, channels=("C_INBOX", "C_DIGEST", BARE_CHANNEL), latency=slack_latency)
    return slack, serve(FakeX)


def measure(
    n: int,
    rounds: int,
    *,
    db_dir: str | None = None,
    slack_latency: float = 0.0,
    database_url: str | None = None,
    in_process: bool = False,
) -> dict:
    """Median ratio (bot throughput / bare throughput) over `rounds` alternating rounds, with the rates."""
    serving_slack, serving_x = standins(slack_latency=slack_latency, in_process=in_process)
    with (
        workdir(db_dir) as work,
        serving_slack as slack,
        serving_x as x,
        running_bot(slack, x, database_url or work.database_url(), MIRROR_RATE_PER_CHANNEL="1000000") as bot,
    ):
        bot.bridge.account()  # the one-off users/me of a process start is not part of mirroring
        mentions = Round(x, add_customers(x, CUSTOMERS))
        bot_round(bot, mentions, n)  # warm-up; its messages are what the bare loop posts
        prepared = [
            {k: m.get(k) for k in ("ts", "thread_ts", "text", "blocks", "metadata")} for m in slack.all_posts("C_INBOX")
        ]
        client = WebClient(token=slack.bot_token, base_url=slack.url)
        bare_round(client, prepared)  # warm-up
        bot_times, mirror_times, bare_times, ratios, mirror_ratios = [], [], [], [], []
        for i in range(rounds):
            if i % 2:
                bare_times.append(bare_round(client, prepared))
                cycle, mirroring = bot_round(bot, mentions, n)
            else:
                cycle, mirroring = bot_round(bot, mentions, n)
                bare_times.append(bare_round(client, prepared))
            bot_times.append(cycle)
            mirror_times.append(mirroring)
            ratios.append(bare_times[-1] / cycle)
            mirror_ratios.append(bare_times[-1] / mirroring)
    return {
        "n": n,
        "rounds": rounds,
        "ratio": median(ratios),
        "ratios": ratios,
        "mirror_ratio": median(mirror_ratios),
        "mirror_ms_per_message": 1000 * median(mirror_times) / n,
        "bot_per_s": n / median(bot_times),
        "bare_per_s": n / median(bare_times),
        "bot_ms_per_message": 1000 * median(bot_times) / n,
        "bare_ms_per_message": 1000 * median(bare_times) / n,
    }


def _figure(name: str, m: dict, note: str, *, headline: bool) -> Figure:
    return Figure(
        SECTION,
        name,
        m["ratio"],
        "{:.2f} x the bare loop",
        target=f">= {TARGET_RATIO}" if headline else "",
        met=(m["ratio"] >= TARGET_RATIO) if headline else None,
        note=(
            f"bot {m['bot_per_s']:.0f} msg/s ({m['bot_ms_per_message']:.2f} ms each), bare loop {m['bare_per_s']:.0f} "
            f"msg/s ({m['bare_ms_per_message']:.2f} ms each); the mirroring step alone (the cycle without fetching "
            f"from X and storing) {m['mirror_ratio']:.2f} x ({m['mirror_ms_per_message']:.2f} ms each); "
            f"median of {m['rounds']} rounds of {m['n']}; " + note
        ),
        extra=m,
    )


def run(quick: bool = False) -> list[Figure]:
    n, rounds = (40, 2) if quick else (300, 9)
    figures = [
        _figure(
            "bot throughput / bare slack_sdk loop, SQLite file on disk",
            measure(n, rounds),
            "the database as deployed: a SQLite file, each commit synced to disk",
            headline=True,
        )
    ]
    with postgres_database() as url:
        if url is None:
            print("  PostgreSQL is not reachable on 127.0.0.1:5432 (BENCH_POSTGRES_URL): its ratio is not measured")
        else:
            figures.append(
                _figure(
                    "the same, PostgreSQL (local server)",
                    measure(n, rounds, database_url=url),
                    "the database for several processes; each commit synced by the server",
                    headline=True,
                )
            )
    beside = [
        (
            "the same, disk, the stand-ins served from the bench's own process",
            {"in_process": True},
            "as this figure was measured until 2026-12-03: the stand-ins' work shares the bot's interpreter lock",
        )
    ]
    if Path("/dev/shm").is_dir():
        no_sync = "no disk sync: the bot's own CPU cost"
        beside.insert(0, ("the same, SQLite file in memory (tmpfs)", {"db_dir": "/dev/shm"}, no_sync))
    for name, conditions, note in beside:
        figures.append(_figure(name, measure(n, rounds, **conditions), note, headline=False))
    if not quick:
        latency = 0.1
        figures.append(
            _figure(
                f"the same, disk, Slack answering in {latency * 1000:.0f} ms as over the internet",
                measure(40, 3, slack_latency=latency),
                "a real chat.postMessage round trip is of this order",
                headline=False,
            )
        )
    for figure in figures:
        print(figure.line(), flush=True)
    return figures


# -- 6. profile --------------------------------------------------------------------------------------------

CATEGORIES = (
    ("slack_sdk", "Slack Web API calls (slack_sdk, HTTP round trip, the stand-in's answer)"),
    ("tweepy", "X API calls (tweepy, HTTP round trip, the stand-in's answer)"),
    ("COMMIT", "database commits (SQLite, synced to disk)"),
    ("sqlalchemy", "SQL statements (SQLAlchemy/SQLModel + SQLite execution)"),
    ("sqlmodel", "SQL statements (SQLAlchemy/SQLModel + SQLite execution)"),
)
OWN = ("/bot/", "/storage/")


def _category(stack: list) -> str:
    """The outermost library the sample's stack went into; the bot's own code when none."""
    for frame in stack:
        path = frame.file_path or ""
        if "commit" in (frame.function or "") and ("sqlalchemy" in path or "sqlite" in frame.function.lower()):
            return "database commits (SQLite, synced to disk)"
        for key, label in CATEGORIES:
            if f"/{key}/" in path:
                return label
    return "the bot's own Python (domain, builders, adapters)"


def _walk(frame, stack, out_self, out_cumulative):
    stack = [*stack, frame]
    children_time = sum(child.time for child in frame.children)
    self_time = max(0.0, frame.time - children_time)
    if self_time:
        label = _category(stack)
        out_self[label] = out_self.get(label, 0.0) + self_time
    path = frame.file_path or ""
    if any(part in path for part in OWN) and not any(
        f is not frame and f.identifier == frame.identifier for f in stack
    ):
        root = path.split("/main/")[-1] if "/main/" in path else path
        key = f"{frame.function} ({root.rsplit('/', 1)[-1]})"
        out_cumulative[key] = out_cumulative.get(key, 0.0) + frame.time
    for child in frame.children:
        _walk(child, stack, out_self, out_cumulative)


@contextlib.contextmanager
def counting_sql(engine):
    """Statements and transactions the bot sends its database; commits that wrote are the ones synced to disk."""
    counts = {"reads": 0, "writes": 0, "commits": 0, "synced": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip()[:6].upper()
        if verb.startswith(("INSERT", "UPDATE", "DELETE")):
            counts["writes"] += 1
            conn.info["bench_wrote"] = True
        elif not verb.startswith(("BEGIN", "COMMIT", "ROLLBA")):
            counts["reads"] += 1

    def commit(conn):
        counts["commits"] += 1
        counts["synced"] += bool(conn.info.pop("bench_wrote", False))

    def rollback(conn):
        conn.info.pop("bench_wrote", None)

    listeners = (("before_cursor_execute", before), ("commit", commit), ("rollback", rollback))
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield counts
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)


def profile(quick: bool = False, text_out: Path | None = None) -> list[Figure]:
    """pyinstrument over one round of (1): the time by kind of work, and the bot's heaviest calls."""
    from pyinstrument import Profiler

    n = 40 if quick else 300
    serving_slack, serving_x = standins()
    with (
        workdir() as work,
        serving_slack as slack,
        serving_x as x,
        running_bot(slack, x, work.database_url(), MIRROR_RATE_PER_CHANNEL="1000000") as bot,
    ):
        bot.bridge.account()
        mentions = Round(x, add_customers(x, CUSTOMERS))
        bot_round(bot, mentions, 10)
        mentions.post(n)
        profiler = Profiler(interval=0.0005)
        with counting_sql(bot.bridge.engine) as sql:
            profiler.start()
            try:
                bot.cycle()
            finally:
                profiler.stop()
    session = profiler.last_session
    root = session.root_frame()
    total = root.time if root else 0.0
    by_kind: dict[str, float] = {}
    by_call: dict[str, float] = {}
    if root is not None:
        _walk(root, [], by_kind, by_call)
    if text_out is not None:
        with contextlib.suppress(OSError):
            text_out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    figures = []
    for label, seconds in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        figures.append(
            Figure(PROFILE_SECTION, label, 100 * seconds / total, "{:.0f}% of the cycle", extra={"seconds": seconds})
        )
    skip = {"cycle", "run_once", "_run_queue", "<genexpr>", "poll", "<lambda>", "_mirror", "_store_post"}
    calls = [(k, v) for k, v in by_call.items() if k.split(" ")[0] not in skip]
    for key, seconds in sorted(calls, key=lambda kv: -kv[1])[:8]:
        figures.append(
            Figure(
                PROFILE_SECTION, f"in {key}", 100 * seconds / total, "{:.0f}% of the cycle", extra={"seconds": seconds}
            )
        )
    print(f"  one cycle of {n} new mentions, profiled: {total:.2f} s ({1000 * total / n:.1f} ms per mention)")
    for figure in figures:
        print(figure.line(), flush=True)
    per = {k: v / n for k, v in sql.items()}
    print(
        f"  per new mention: {per['reads']:.1f} reads and {per['writes']:.1f} writes in {per['commits']:.1f} "
        f"transactions, {per['synced']:.1f} of them synced to disk"
    )
    return [
        Figure(PROFILE_SECTION, f"one profiled cycle of {n} new mentions", 1000 * total / n, "{:.1f} ms per mention"),
        Figure(PROFILE_SECTION, "SQL reads per new mention", per["reads"], "{:.1f}", extra=sql),
        Figure(PROFILE_SECTION, "SQL writes per new mention", per["writes"], "{:.1f}", extra=sql),
        Figure(PROFILE_SECTION, "transactions per new mention", per["commits"], "{:.1f}", extra=sql),
        Figure(PROFILE_SECTION, "transactions synced to disk per new mention", per["synced"], "{:.1f}", extra=sql),
        *figures,
    ]
