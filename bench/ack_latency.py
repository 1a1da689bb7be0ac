"""4. Acknowledgement latency: how long Slack waits for the bot's HTTP answer while X takes 2 s to answer anything.

The bot runs as `web` (waitress, Bolt) on a real port; a team of agents works the inbox at a steady pace: each
case is claimed (a button click), then answered in its thread by its owner (an event whose reply goes out on X,
which answers in 2 s), and every few cases someone asks /social-stats. Requests are sent on a schedule, not one
after the other, so slow answers cannot slow the load down. The figure is the HTTP round trip each request took
(signed request to response), over all requests: Slack gives up after 3 s. Then /social-stats 30d alone, asked
20 times one after the other, on a database with a year of history seeded by bench/digests.py, of the bot as
deployed: `python -m bot web` in a process of its own, whose interpreter lock the stand-ins and the sender do not
share (beside it, as measured until 2026-12-03: `web` in the bench's own process).
"""

import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Figure, WebProcess, add_customers, mention_text, percentile, running_bot, workdir
from tests.fakes import FakeSlack, FakeX, SlackDriver
from tests.harness import SIGNING_SECRET, bot_env, buttons, cards

SECTION = "4. Acknowledgement latency"
TARGET_P99_MS = 100.0
X_LATENCY_S = 2.0
AGENTS = [f"UAGENT{i}" for i in range(8)]
REPLY_AFTER_S = 0.5  # an owner answers half a second after claiming
STATS_EVERY = 4  # one /social-stats per this many cases


def measure(cases_per_s: float, seconds: float) -> dict:
    n = max(4, round(cases_per_s * seconds))
    with (
        workdir() as work,
        FakeSlack() as slack,
        FakeX(latency=X_LATENCY_S) as x,
        running_bot(slack, x, work.database_url(), MIRROR_RATE_PER_CHANNEL="1000000") as bot,
    ):
        customers = add_customers(x, n)
        for i, customer in enumerate(customers):
            x.post(customer["id"], mention_text(i))
        report = bot.cycle()
        if report.get("errors") or len(cards(slack)) != n:
            raise RuntimeError(f"could not set up {n} cases: {report}")
        plan = []  # (at, kind, send)
        for i, card in enumerate(cards(slack)):
            agent, at = AGENTS[i % len(AGENTS)], i / cases_per_s
            value = buttons(card)["case_claim"]
            plan.append(
                (at, "claim", lambda a=agent, c=card, v=value: bot.slack.click(a, "C_INBOX", c["ts"], "case_claim", v))
            )
            plan.append(
                (
                    at + REPLY_AFTER_S,
                    "thread reply",
                    lambda a=agent, c=card, i=i: bot.slack.say(
                        a, "C_INBOX", f"Sorry about that, sending a new one ({i})", thread_ts=c["ts"]
                    ),
                )
            )
            if i % STATS_EVERY == 0:
                plan.append(
                    (at + REPLY_AFTER_S / 2, "/social-stats", lambda a=agent: bot.slack.command(a, "/social-stats"))
                )
        plan.sort(key=lambda item: item[0])
        results: list[tuple[str, float, int]] = []
        lock = threading.Lock()

        def send(kind, request):
            delivery = request()
            with lock:
                results.append((kind, delivery.elapsed_ms, delivery.status))

        started = time.monotonic()
        with ThreadPoolExecutor(32) as pool:
            for at, kind, request in plan:
                delay = started + at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(send, kind, request)
        replies = sum(1 for kind, _, _ in results if kind == "thread reply")
        deadline = time.monotonic() + 4 * X_LATENCY_S + 10
        while x.count("create_tweet") < replies and time.monotonic() < deadline:
            time.sleep(0.2)
        posted = x.count("create_tweet")
    by_kind: dict[str, list[float]] = {}
    for kind, ms, _ in results:
        by_kind.setdefault(kind, []).append(ms)
    every = [ms for _, ms, _ in results]
    return {
        "requests": len(results),
        "not_200": sum(1 for _, _, status in results if status != 200),
        "p50_ms": percentile(every, 0.50),
        "p99_ms": percentile(every, 0.99),
        "max_ms": max(every),
        "by_kind": {
            kind: {"n": len(v), "p50_ms": percentile(v, 0.5), "p99_ms": percentile(v, 0.99)}
            for kind, v in by_kind.items()
        },
        "replies": replies,
        "posted_on_x": posted,
        "cases_per_s": cases_per_s,
        "seconds": seconds,
    }


def run(quick: bool = False) -> list[Figure]:
    m = measure(cases_per_s=2.0, seconds=4 if quick else 30)
    kinds = "; ".join(
        f"{kind}: {v['n']} requests, p50 {v['p50_ms']:.0f} ms, p99 {v['p99_ms']:.0f} ms"
        for kind, v in m["by_kind"].items()
    )
    load = (
        f"{m['cases_per_s']:g} cases a second claimed and answered for {m['seconds']:g} s, X answering in "
        f"{X_LATENCY_S:g} s; {m['not_200']} answers other than 200; {m['posted_on_x']} of {m['replies']} replies "
        f"then posted on X"
    )
    figures = [
        Figure(
            SECTION, "p50 of the HTTP round trip", m["p50_ms"], "{:.1f} ms", note=f"{m['requests']} requests", extra=m
        ),
        Figure(
            SECTION,
            "p99 of the HTTP round trip",
            m["p99_ms"],
            "{:.1f} ms",
            target=f"< {TARGET_P99_MS:g} ms",
            met=m["p99_ms"] < TARGET_P99_MS,
            note=f"{load}; {kinds}; slowest {m['max_ms']:.0f} ms",
            extra=m,
        ),
    ]
    messages, cases = (20_000, 4_000) if quick else (200_000, 40_000)
    try:
        scale = stats_at_scale(messages, cases, requests=5 if quick else 20)
    except ImportError as err:  # its seeder lives in bench/digests.py
        print(f"  /social-stats at scale: not measured ({err})")
    else:
        beside = scale["in_process"]
        figures.append(
            Figure(
                SECTION,
                f"p99 of /social-stats 30d, with a year of history ({messages:,} messages in {cases:,} cases)",
                scale["p99_ms"],
                "{:.1f} ms",
                target=f"< {TARGET_P99_MS:g} ms",
                met=scale["p99_ms"] < TARGET_P99_MS,
                note=(
                    f"`python -m bot web` in a process of its own; p50 {scale['p50_ms']:.0f} ms over "
                    f"{scale['requests']} requests, one at a time; {scale['not_200']} answers other than 200; "
                    "the figures come in the ack if ready within 30 ms, else just after it; the bot in the bench's "
                    f"own process, as measured until 2026-12-03: p50 {beside['p50_ms']:.0f} ms, "
                    f"p99 {beside['p99_ms']:.0f} ms"
                ),
                extra=scale,
            )
        )
    for figure in figures:
        print(figure.line(), flush=True)
    return figures


def stats_at_scale(messages: int, cases: int, requests: int) -> dict:
    """/social-stats 30d on a database with a year of history (seeded by bench/digests.py), X slow as above: the bot
    as deployed (`python -m bot web`, a process of its own), then, on the same database, `web` in this process,
    beside the stand-ins and the requests' sender, as measured until 2026-12-03."""
    from bench import digests

    with workdir() as work, FakeSlack() as slack, FakeX(latency=X_LATENCY_S) as x, tempfile.TemporaryDirectory() as cwd:
        url = work.database_url()
        seeded = digests.seed(url, cases=cases, messages=messages, days=365)
        web = WebProcess(bot_env(slack, x, url), Path(cwd))
        try:
            apart = _asked(SlackDriver(slack, web.base + "/slack/events", SIGNING_SECRET), requests)
        finally:
            web.stop()
        with running_bot(slack, x, url) as bot:
            beside = _asked(bot.slack, requests)
    return {"seeded": seeded, **apart, "in_process": beside}


def _asked(driver: SlackDriver, requests: int) -> dict:
    driver.command(AGENTS[0], "/social-stats", "30d")  # the first answer warms the caches
    deliveries = [driver.command(AGENTS[i % len(AGENTS)], "/social-stats", "30d") for i in range(requests)]
    times = [d.elapsed_ms for d in deliveries]
    return {
        "requests": requests,
        "not_200": sum(1 for d in deliveries if d.status != 200),
        "p50_ms": percentile(times, 0.5),
        "p99_ms": percentile(times, 0.99),
    }
