"""8. Teams beside Slack: the acknowledgement times of POST /api/messages while X answers in 2 s, and how many
case cards a minute go into one Teams channel under Teams' limits.

(a) The same load as section 4, through Teams: the bot runs as `web` with Teams' settings (waitress, the Agents SDK
on its loop thread) against the Bot Connector stand-in; each case is claimed from its card (an Action.Execute
invoke, answered with the clicker's view) and answered by its owner in the thread (a signed message activity whose
reply goes out on X, which answers in 2 s). The figure is each request's HTTP round trip; Slack's, measured by
section 4's code with the same load, is printed beside it. Teams waits about 15 s for an invoke's answer.
(b) N mentions mirrored into one channel: each card is a new post (create conversation), and Teams allows a bot 7 a
second, 8 per 2 s, 60 per 30 s and 1,800 an hour per thread (the channel, for new posts); the stand-in answers 429
beyond that. Achieved = cards / elapsed minutes; allowed = the most those limits let through in that time.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench import ack_latency
from bench.common import Figure, add_customers, mention_text, percentile, workdir
from bot.sandbox.standins.bot_connector import THREAD_LIMITS, FakeBotConnector
from tests.fakes import FakeX
from tests.teams.harness import INBOX, RunningTeamsBot, case_cards, teams_env

SECTION = "8. Teams"
X_LATENCY_S = ack_latency.X_LATENCY_S
REPLY_AFTER_S = ack_latency.REPLY_AFTER_S


class _Trusted:
    """The stand-in's sign-in certificate trusted for the length of the block (as REQUESTS_CA_BUNDLE does)."""

    def __init__(self, teams):
        self.teams, self.saved = teams, None

    def __enter__(self):
        self.saved = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = self.teams.ca_file

    def __exit__(self, *exc):
        if self.saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = self.saved


def measure_ack(cases_per_s: float, seconds: float) -> dict:
    n = max(4, round(cases_per_s * seconds))
    with (
        workdir() as work,
        FakeBotConnector(rate_limits=False) as teams,
        FakeX(latency=X_LATENCY_S) as x,
        _Trusted(teams),
    ):
        bot = RunningTeamsBot(teams_env(teams, x, work.database_url()), teams)
        try:
            agents = [teams.add_user(f"Agent {i}") for i in range(8)]
            for i, customer in enumerate(add_customers(x, n)):
                x.post(customer["id"], mention_text(i))
            bot.cycle()
            cards = case_cards(teams, INBOX)
            if len(cards) != n:
                raise RuntimeError(f"could not set up {n} cases: {len(cards)} cards")
            plan = []
            for i, card in enumerate(cards):
                agent, at = agents[i % len(agents)], i / cases_per_s
                plan.append((at, "claim", lambda a=agent, c=card: bot.teams.click(a, c, "claim", channel=INBOX)))
                plan.append(
                    (
                        at + REPLY_AFTER_S,
                        "thread reply",
                        lambda a=agent, c=card, i=i: bot.teams.say(
                            a, f"Sorry about that, sending a new one ({i})", channel=INBOX, root=c["id"]
                        ),
                    )
                )
            plan.sort(key=lambda item: item[0])
            results: list[tuple[str, float, int]] = []
            lock = threading.Lock()

            def send(kind, request):
                began = time.perf_counter()
                answer = request()
                with lock:
                    results.append((kind, (time.perf_counter() - began) * 1000, answer.status_code))

            started = time.monotonic()
            with ThreadPoolExecutor(32) as pool:
                for at, kind, request in plan:
                    delay = started + at - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    pool.submit(send, kind, request)
            replies = sum(1 for kind, _, _ in results if kind == "thread reply")
            deadline = time.monotonic() + 4 * X_LATENCY_S + 20
            while x.count("create_tweet") < replies and time.monotonic() < deadline:
                time.sleep(0.2)
            posted = x.count("create_tweet")
        finally:
            bot.stop()
    every = [ms for _, ms, _ in results]
    by_kind: dict[str, list[float]] = {}
    for kind, ms, _ in results:
        by_kind.setdefault(kind, []).append(ms)
    return {
        "requests": len(results),
        "not_ok": sum(1 for _, _, status in results if status not in (200, 202)),
        "p50_ms": percentile(every, 0.50),
        "p99_ms": percentile(every, 0.99),
        "max_ms": max(every),
        "by_kind": {k: {"n": len(v), "p99_ms": percentile(v, 0.99)} for k, v in by_kind.items()},
        "replies": replies,
        "posted_on_x": posted,
    }


def allowed_in(seconds: float, limits=THREAD_LIMITS) -> int:
    """The most sends Teams' sliding windows let through in `seconds` from a standing start."""
    return min(count * (int(seconds // window) + 1) for count, window in limits)


def measure_cards(n: int) -> dict:
    with workdir() as work, FakeBotConnector() as teams, FakeX() as x, _Trusted(teams):
        bot = RunningTeamsBot(teams_env(teams, x, work.database_url()), teams)
        try:
            for i, customer in enumerate(add_customers(x, n)):
                x.post(customer["id"], mention_text(i))
            bot.bridge.ingest.poll()
            started = time.monotonic()
            mirrored = 0
            while mirrored < n and time.monotonic() - started < 600:
                mirrored += bot.bridge.mirror.run_once()
            elapsed = time.monotonic() - started
            cards = len(case_cards(teams, INBOX))
            throttled = teams.throttled
        finally:
            bot.stop()
    return {
        "cards": cards,
        "seconds": elapsed,
        "per_minute": cards / elapsed * 60,
        "allowed": allowed_in(elapsed),
        "allowed_per_minute": allowed_in(elapsed) / elapsed * 60,
        "throttled": throttled,
    }


def run(quick: bool = False) -> list[Figure]:
    seconds = 4 if quick else 30
    teams = measure_ack(cases_per_s=2.0, seconds=seconds)
    slack = ack_latency.measure(cases_per_s=2.0, seconds=seconds)
    load = f"2 cases a second claimed and answered for {seconds} s, X answering in {X_LATENCY_S:g} s"
    kinds = "; ".join(f"{k}: {v['n']} requests, p99 {v['p99_ms']:.0f} ms" for k, v in teams["by_kind"].items())
    cards = measure_cards(40 if quick else 150)
    return [
        Figure(
            SECTION,
            "Teams: p99 of the HTTP round trip of POST /api/messages",
            teams["p99_ms"],
            "{:.1f} ms",
            target="< 1000 ms (Teams waits ~15 s)",
            met=teams["p99_ms"] < 1000,
            note=f"{load}; {kinds}; {teams['not_ok']} answers not 200/202; {teams['posted_on_x']} of "
            f"{teams['replies']} replies posted on X; p50 {teams['p50_ms']:.0f} ms, slowest {teams['max_ms']:.0f} ms",
            extra=teams,
        ),
        Figure(
            SECTION,
            "Slack, same load: p99 of the HTTP round trip of POST /slack/events",
            slack["p99_ms"],
            "{:.1f} ms",
            note=f"p50 {slack['p50_ms']:.0f} ms, {slack['requests']} requests",
            extra=slack,
        ),
        Figure(
            SECTION,
            "Teams: case cards per minute into one channel",
            cards["per_minute"],
            "{:.1f}/min",
            target=f"≤ allowed {cards['allowed_per_minute']:.1f}/min, no 429",
            met=cards["cards"] <= cards["allowed"] and cards["throttled"] == 0,
            note=f"{cards['cards']} cards in {cards['seconds']:.1f} s; Teams allows {cards['allowed']} in that time "
            f"(7/s, 8/2 s, 60/30 s, 1,800/h); achieved/allowed {cards['cards'] / cards['allowed']:.0%}; "
            f"{cards['throttled']} answered 429",
            extra=cards,
        ),
    ]


if __name__ == "__main__":
    for figure in run():
        print(f"{figure.section}:{figure.line()}")
