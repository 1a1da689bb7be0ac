"""10. Ingest: 10,000 new mentions from one poll stored, in one transaction with the cursor; and a poll's and a mirror
run's work beside a year of cases.

The bot's own ingest step (`Ingest._store`, as a poll calls it once a read is in) is given 10,000 posts as the X
adapter hands them over — one customer in five writing again in a conversation of this read, one in ten a customer
whose case was resolved yesterday (their new conversation reopens it) — and stores them in the SQLite file on disk,
as deployed, then in a database of the local PostgreSQL server. Reading them from X is X's time, not the bot's, and
is left out. Memory: the Python heap's peak during the store (tracemalloc), and the process's resident size after
each of several such polls, which stays flat.

With history: 200,000 cases are loaded first (a year of a busy account: 40,000 customers, all resolved, their cards
up to date), then a poll's 100 new mentions are stored and a mirror run looks for cards to redraw, as a cycle does.
Each is timed beside the same on an empty database: a cycle's cost should not grow with the cases kept.
"""

import resource
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from bench.common import Figure, median, mention_text, postgres_database, running_bot, workdir
from bot.domain.sources import MENTION
from bot.domain.states import EventKind
from bot.domain.types import Author, InboundPost
from storage import accounts, cases
from storage.bulk import analyze, insert_rows
from storage.models import Case, Event
from tests.fakes import FakeSlack, FakeX

SECTION = "10. Ingest"
TARGET_S = 1.0
N = 10_000
HISTORY_CASES = 200_000
HISTORY_CUSTOMERS = 40_000
POLL = 100  # new mentions in a poll, beside the history


def _posts(round_: int, n: int, resolved: list[str]) -> list[InboundPost]:
    base = 10**17 * (round_ + 1)
    start = datetime.now(UTC) - timedelta(minutes=30)
    posts: list[InboundPost] = []
    for i in range(n):
        # one in ten a customer whose case was resolved; some customers write twice
        returning = i % 10 == 3 and resolved
        author_id = resolved[(i // 10) % len(resolved)] if returning else str(base + 5_000_000 + i // 2 * 2)
        conversation = str(base + i) if i % 5 else (posts[i - 1].conversation_id if i else str(base))
        if i % 5 == 0 and i:
            author_id = posts[i - 1].author.id
        posts.append(
            InboundPost(
                id=str(base + i),
                conversation_id=conversation,
                author=Author(author_id, f"customer{author_id[-6:]}", f"Customer {i}", followers=i % 5000),
                text=mention_text(i),
                created_at=start + timedelta(milliseconds=i),
            )
        )
    return posts


def _resolved_customers(bot, count: int) -> list[str]:
    """Customers whose case with the account was resolved an hour ago."""
    account = bot.bridge.served.account()
    ids = [str(9 * 10**17 + i) for i in range(count)]
    with bot.bridge.session() as s:
        for customer in ids:
            case = cases.add_case(
                s,
                network=account.network,
                account_id=account.account_id,
                conversation_id=f"old-{customer}",
                customer_id=customer,
                kind=MENTION,
                opened_at=datetime.now(UTC) - timedelta(hours=3),
            )
            case.status, case.resolved_at = "resolved", datetime.now(UTC) - timedelta(hours=1)
    return ids


def measure(n: int, rounds: int, database_url: str | None = None) -> dict:
    with (
        workdir() as work,
        FakeSlack() as slack,
        FakeX() as x,
        running_bot(slack, x, database_url or work.database_url()) as bot,
    ):
        ingest = bot.bridge.ingest
        bot.bridge.served.account()
        source = bot.bridge.sources.ready_accounts()[0]
        account = source.account
        resolved = _resolved_customers(bot, 200)
        times, peaks, rss = [], [], []
        for r in range(rounds + 1):  # the last one traced for memory, not timed (tracing slows Python down)
            traced = r == rounds
            posts = _posts(r, n, resolved if r == 0 else [])
            newest = max(posts, key=lambda p: int(p.id)).id

            def advance(s, newest=newest):
                accounts.advance_cursor(
                    s,
                    network=account.network,
                    account_id=account.account_id,
                    newest_id=newest,
                    at=datetime.now(UTC),
                    order_key=source.network.order_key,
                )

            if traced:
                tracemalloc.start()
            started = time.perf_counter()
            stored = ingest._store(
                posts, source, kind=MENTION, channel=source.channel, skip=lambda p: False, advance=advance
            )
            if traced:
                peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
                tracemalloc.stop()
            else:
                times.append(time.perf_counter() - started)
            rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            if stored != n:
                raise RuntimeError(f"stored {stored} of {n}")
        with bot.bridge.session() as s:
            reopened = s.exec(select(func.count()).where(Event.kind == EventKind.REOPEN)).one()
    return {"n": n, "times": times, "peaks_mb": peaks, "rss_mb": rss, "reopened": reopened}


def _load_history(bot, cases_: int) -> None:
    account = bot.bridge.served.account()
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / cases_
    columns = ["network", "account_id", "conversation_id", "customer_id", "customer_handle", "kind", "status"]
    columns += ["opened_at", "resolved_at", "channel", "thread_id", "card_rev", "card_synced_rev"]
    rows = (
        {
            "network": account.network,
            "account_id": account.account_id,
            "conversation_id": f"old-{i}",
            "customer_id": str(8 * 10**17 + i % HISTORY_CUSTOMERS),
            "customer_handle": f"old{i % HISTORY_CUSTOMERS}",
            "kind": MENTION,
            "status": "resolved",
            "opened_at": start + i * step,
            "resolved_at": start + i * step + timedelta(hours=1),
            "channel": "C_INBOX",
            "thread_id": f"{1_700_000_000 + i}.000100",
            "card_rev": 3,
            "card_synced_rev": 3,
        }
        for i in range(cases_)
    )
    with bot.bridge.session() as s:
        insert_rows(s, Case, rows, columns=columns)
    analyze(bot.bridge.engine)


def poll_beside_history(history: int, rounds: int) -> dict:
    """Median times of storing a poll's POLL new mentions and of a mirror run's look for cards to redraw, with
    `history` cases stored before."""
    with workdir() as work, FakeSlack() as slack, FakeX() as x, running_bot(slack, x, work.database_url()) as bot:
        ingest, mirror = bot.bridge.ingest, bot.bridge.mirror
        bot.bridge.served.account()
        source = bot.bridge.sources.ready_accounts()[0]
        if history:
            _load_history(bot, history)
        stores, looks = [], []
        for r in range(rounds):
            posts = _posts(r, POLL, [])
            started = time.perf_counter()
            ingest._store(posts, source, kind=MENTION, channel=source.channel, skip=lambda p: False)
            stores.append(time.perf_counter() - started)
            started = time.perf_counter()
            mirror.refresh_stale_cards()
            looks.append(time.perf_counter() - started)
    return {"history": history, "store_ms": 1000 * median(stores), "look_ms": 1000 * median(looks)}


def run(quick: bool = False) -> list[Figure]:
    n, rounds = (1000, 2) if quick else (N, 5)
    m = measure(n, rounds)
    seconds = median(m["times"])
    figures = [
        Figure(
            SECTION,
            f"{n:,} new mentions from one poll stored (one transaction with the cursor), SQLite on disk",
            seconds,
            "{:.2f} s median",
            target=f"< {TARGET_S:g} s",
            met=seconds < TARGET_S,
            note=(
                f"{rounds} polls: " + ", ".join(f"{t:.2f}" for t in m["times"]) + " s; "
                f"one in five a follow-up in its conversation, {m['reopened']} resolved cases reopened"
            ),
            extra=m,
        ),
        Figure(
            SECTION,
            f"Python heap's peak while storing {n:,}",
            max(m["peaks_mb"]),
            "{:.0f} MB",
            note="traced in one more poll (tracemalloc)",
            extra=m,
        ),
        Figure(
            SECTION,
            "resident size after each poll (flat: nothing kept between polls)",
            m["rss_mb"][-1],
            "{:.0f} MB",
            note=", ".join(f"{r:.0f}" for r in m["rss_mb"]) + " MB",
            extra=m,
        ),
    ]
    with postgres_database() as url:
        if url is None:
            print("  PostgreSQL is not reachable on 127.0.0.1:5432 (BENCH_POSTGRES_URL): its ingest is not measured")
        else:
            pg = measure(n, rounds, database_url=url)
            figures.append(
                Figure(
                    SECTION,
                    f"the same {n:,}, PostgreSQL (local server)",
                    median(pg["times"]),
                    "{:.2f} s median",
                    note=f"{rounds} polls: " + ", ".join(f"{t:.2f}" for t in pg["times"]) + " s (flat: each poll's "
                    "look-ups planned for their own values, not by a generic plan that slows with the cases stored)",
                    extra=pg,
                )
            )
    history = 20_000 if quick else HISTORY_CASES
    empty, full = poll_beside_history(0, 5), poll_beside_history(history, 5)
    people = min(history, HISTORY_CUSTOMERS)
    steps = (
        ("store_ms", f"a poll's {POLL} new mentions stored"),
        ("look_ms", "a mirror run's look for cards to redraw"),
    )
    for key, what in steps:
        figures.append(
            Figure(
                SECTION,
                f"{what}, with {history:,} cases kept",
                full[key],
                "{:.1f} ms median",
                note=f"{empty[key]:.1f} ms with none kept; {history:,} resolved cases of {people:,} people",
                extra={"empty": empty, "full": full},
            )
        )
    for figure in figures:
        print(figure.line(), flush=True)
    return figures
