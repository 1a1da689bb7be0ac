"""2. Request economy: X requests per 1,000 new mentions, and user look-ups outside expansions, from the X stand-in's
count; Bluesky's beside them (bench/bluesky_economy.py: requests per 1,000 new mentions, profile look-ups outside
batches).

A busy brand's steady stream: PER_POLL new mentions in each poll interval, spread evenly over it (one in five a
customer's follow-up), polled at the end of each interval by the bot's ingest step (the only step of the cycle that
reads X when no reply is due). Post times are simulated, so hours of traffic take seconds; the bot's overlap works
from the cursor's post time, as it does live. Measured twice: with the default overlap (POLL_OVERLAP_SECONDS=30 of
POLL_INTERVAL_SECONDS=60), and without one, which shows the paging alone. The one users/me of a process start is
counted apart: it is not per mention.
"""

import contextlib
import os
from datetime import UTC, datetime, timedelta

from bench import bluesky_economy
from bench.common import Figure, add_customers, mention_text, running_bot, workdir
from bot.networks.x.network import XNetwork
from tests.fakes import FakeSlack, FakeX

SECTION = "2. Request economy (X, Bluesky)"
TARGET_PER_1000 = 10.5
INTERVAL_S = 60
PER_POLL = 600  # 10 mentions a second: a campaign day; X reaches back 800 mentions per poll at most
FOLLOW_UP_EVERY = 5


@contextlib.contextmanager
def counting_posts_read():
    """Observe how many posts each mentions fetch returned (re-reads of the overlap included)."""
    seen = {"posts": 0}
    original = XNetwork.fetch_mentions

    def fetch_mentions(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        seen["posts"] += len(result.posts)
        return result

    XNetwork.fetch_mentions = fetch_mentions
    try:
        yield seen
    finally:
        XNetwork.fetch_mentions = original


def stream(overlap_s: float, polls: int) -> dict:
    with (
        workdir("/dev/shm" if os.path.isdir("/dev/shm") else None) as work,
        FakeSlack() as slack,
        FakeX() as x,
        running_bot(slack, x, work.database_url(), POLL_OVERLAP_SECONDS=str(overlap_s)) as bot,
        counting_posts_read() as read,
    ):
        customers = add_customers(x, 200)
        bot.bridge.ingest.poll()  # the start: users/me, and a first (empty) page of mentions
        at_start = len(x.requests)
        start = datetime.now(UTC) - timedelta(seconds=INTERVAL_S * (polls + 1))
        firsts: dict[str, dict] = {}
        new = 0
        for k in range(polls):
            for i in range(PER_POLL):
                at = start + timedelta(seconds=INTERVAL_S * k + INTERVAL_S * (i + 0.5) / PER_POLL)
                customer = customers[(k * PER_POLL + i) % len(customers)]
                earlier = firsts.get(customer["id"])
                if earlier is not None and i % FOLLOW_UP_EVERY == 0:
                    x.post(customer["id"], f"@AcmeSupport any news? ({k}/{i})", in_reply_to=earlier, created_at=at)
                else:
                    firsts[customer["id"]] = x.post(customer["id"], mention_text(k * PER_POLL + i), created_at=at)
            new += bot.bridge.ingest.poll()
        endpoints = {r["path"].rsplit("/", 1)[-1] for r in x.requests[at_start:]}
        return {
            "overlap_s": overlap_s,
            "polls": polls,
            "new": new,
            "posted": polls * PER_POLL,
            "requests": len(x.requests) - at_start,
            "start_requests": at_start,
            "mention_requests": x.count("mentions"),
            "user_lookups": x.count("user_lookup"),
            "posts_read": read["posts"],
            "endpoints": sorted(endpoints),
        }


def run(quick: bool = False) -> list[Figure]:
    polls = 2 if quick else 10
    default, floor = stream(30.0, polls), stream(0.0, polls)
    figures = []
    for m, name in (
        (default, f"X requests per 1,000 new mentions, default overlap ({m_overlap(default)})"),
        (floor, "the same without overlap: the paging alone"),
    ):
        per_1000 = 1000 * m["requests"] / m["new"]
        figures.append(
            Figure(
                SECTION,
                name,
                per_1000,
                "{:.2f}",
                target=f"<= {TARGET_PER_1000}",
                met=per_1000 <= TARGET_PER_1000,
                note=(
                    f"{m['requests']} requests for {m['new']:,} new mentions ({m['posted']:,} posted, {PER_POLL} per "
                    f"{INTERVAL_S} s poll, {m['polls']} polls); {m['posts_read'] / m['new']:.2f} posts read per new "
                    f"mention; {m['start_requests']} more at the start (users/me and a first page)"
                ),
                extra=m,
            )
        )
    lookups = default["user_lookups"] + floor["user_lookups"]
    figures.append(
        Figure(
            SECTION,
            "user look-ups outside expansions",
            lookups,
            "{:.0f}",
            target="0",
            met=lookups == 0,
            note=f"endpoints called while polling: {', '.join(default['endpoints'])}; authors come by expansion",
            extra={"default": default, "floor": floor},
        )
    )
    bluesky = bluesky_economy.measure()
    figures += [
        Figure(
            SECTION,
            "Bluesky requests per 1,000 new mentions (one read of the notifications)",
            bluesky["requests_per_1000_mentions"],
            "{:.2f}",
            note=f"{bluesky_economy.MENTIONS:,} mentions by {bluesky_economy.AUTHORS} authors read through the "
            "adapter from the XRPC stand-in: "
            + ", ".join(f"{method} {n}" for method, n in bluesky["by_method"].items()),
            extra=bluesky,
        ),
        Figure(
            SECTION,
            "Bluesky profile look-ups outside batches (getProfile)",
            bluesky["profile_lookups_outside_batches"],
            "{:.0f}",
            target="0",
            met=bluesky["profile_lookups_outside_batches"] == 0,
            note="authors come from batched getProfiles, 25 a call",
            extra=bluesky,
        ),
    ]
    for figure in figures:
        print(figure.line(), flush=True)
    return figures


def m_overlap(m: dict) -> str:
    return f"POLL_OVERLAP_SECONDS={m['overlap_s']:g} every 10th poll of POLL_INTERVAL_SECONDS={INTERVAL_S}"
