"""3. Under Slack's real limit: a Slack stand-in that allows one chat.postMessage per second per channel, with no
burst at all (a bucket of one; 429 + Retry-After beyond it), several channels, the bot at its default pace
(MIRROR_RATE_PER_CHANNEL=1).

Two ways a deployment posts to several channels, both measured:
- one bot per brand, each with its own SLACK_INBOX_CHANNEL, against the same workspace (here: bots in threads of
  this process, each with its own X stand-in and database), all with a backlog at once;
- one bot serving several brand accounts from ACCOUNTS_FILE, each routed to its own channel.

Achieved rate: all posts over what the limit allowed all the channels from the first post to any of them to the
last (the bucket's one message plus one a second, per channel). Dropped: mentions never mirrored, even by a second
cycle; posted twice: mentions mirrored more than once.
"""

import tempfile
import threading
import time
from pathlib import Path

from bench.common import Figure, add_customers, mention_text, running_bot, workdir
from tests.fakes import FakeSlack, FakeX

SECTION = "3. Under Slack's real limit"
RATE = 1.0  # posts per second per channel, as Slack allows
BURST = 1
TARGET_SHARE = 0.95
FOLLOW_UP_EVERY = 4
MIRRORED = ("social_case", "social_message")


def post_mentions(x: FakeX, brand: str, customers: list[dict], n: int) -> None:
    """`n` mentions of @brand, one in FOLLOW_UP_EVERY a follow-up (a thread post under its case's card)."""
    firsts: dict[str, dict] = {}
    for i in range(n):
        customer = customers[i % len(customers)]
        if customer["id"] in firsts and i % FOLLOW_UP_EVERY == 0:
            x.post(customer["id"], f"@{brand} still waiting ({i})", in_reply_to=firsts[customer["id"]]["id"])
        else:
            firsts[customer["id"]] = x.post(customer["id"], mention_text(i).replace("@AcmeSupport", f"@{brand}"))


def mirrored(slack: FakeSlack, channel: str) -> list[int]:
    """The message ids the bot's posts in `channel` carry (one per mirrored mention; repeats are duplicates)."""
    ids = []
    for message in slack.all_posts(channel):
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") in MIRRORED:
            ids.append(metadata["event_payload"]["message_id"])
    return ids


def shares(slack: FakeSlack, channels: list[str]) -> tuple[float, dict]:
    """All channels' posts over what the limit allowed all of them while the bot was posting (from the first post
    to any channel to the last), and each channel's share of its own allowance over that time."""
    times = {channel: slack.post_times.get(channel, []) for channel in channels}
    stamps = [t for ts in times.values() for t in ts]
    if not stamps:
        return 0.0, dict.fromkeys(channels, 0.0)
    room = BURST + RATE * (max(stamps) - min(stamps))
    per_channel = {channel: len(ts) / room for channel, ts in times.items()}
    return len(stamps) / (room * len(channels)), per_channel


def _concurrently(functions) -> list:
    results: list = [None] * len(functions)
    errors: list = []
    start = threading.Barrier(len(functions))

    def run(i, fn):
        start.wait()
        try:
            results[i] = fn()
        except Exception as err:  # reported after the others finish
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _outcome(slack: FakeSlack, channels: list[str], expected: int, elapsed: float, drain) -> dict:
    share, per_channel = shares(slack, channels)
    after_one = sum(len(set(mirrored(slack, c))) for c in channels)
    rate_limited = slack.rate_limited
    drain()
    ids = {c: mirrored(slack, c) for c in channels}  # message ids are per database: counted per channel
    distinct = sum(len(set(i)) for i in ids.values())
    return {
        "share": share,
        "per_channel": per_channel,
        "expected": expected,
        "left_for_next_cycle": expected - after_one,
        "dropped": expected - distinct,
        "duplicates": sum(len(i) for i in ids.values()) - distinct,
        "rate_limited": rate_limited,
        "elapsed_s": elapsed,
    }


def bots_per_brand(channels: int, per_channel: int) -> dict:
    names = [f"C_BRAND{i}" for i in range(channels)]
    with workdir() as work, FakeSlack(channels=("C_DIGEST", *names), post_rate_per_channel=RATE, burst=BURST) as slack:
        xs = [FakeX().__enter__() for _ in names]
        bots = []
        try:
            for x, channel in zip(xs, names, strict=True):
                bots.append(
                    running_bot(
                        slack, x, work.database_url(), SLACK_INBOX_CHANNEL=channel, MIRROR_RATE_PER_CHANNEL=str(RATE)
                    )
                )
            running = [b.__enter__() for b in bots]
            for x, bot in zip(xs, running, strict=True):
                bot.bridge.account()
                post_mentions(x, "AcmeSupport", add_customers(x, 12), per_channel)
            started = time.monotonic()
            _concurrently([bot.cycle for bot in running])
            elapsed = time.monotonic() - started

            def drain():
                for bot in running:
                    bot.cycle()

            return _outcome(slack, names, channels * per_channel, elapsed, drain)
        finally:
            for bot in bots:
                bot.__exit__(None, None, None)
            for x in xs:
                x.__exit__(None, None, None)


def accounts_file_bot(channels: int, per_channel: int) -> dict:
    names = [f"C_BRAND{i}" for i in range(channels)]
    with (
        workdir() as work,
        FakeSlack(channels=("C_DIGEST", *names), post_rate_per_channel=RATE, burst=BURST) as slack,
        FakeX() as x,
        tempfile.TemporaryDirectory(prefix="bench-accounts-") as folder,
    ):
        brands = [x.add_brand(f"AcmeBrand{i}", f"Acme Brand {i}") for i in range(channels)]
        lines, env = ["accounts:"], {}
        for i, (brand, channel) in enumerate(zip(brands, names, strict=True)):
            env[f"BRAND{i}_TOKEN"], env[f"BRAND{i}_SECRET"] = brand["access_token"], brand["access_token_secret"]
            lines += [
                f"  - name: brand{i}",
                f"    channel: {channel}",
                "    credentials:",
                f"      access_token: BRAND{i}_TOKEN",
                f"      access_token_secret: BRAND{i}_SECRET",
            ]
        path = Path(folder) / "accounts.yml"
        path.write_text("\n".join(lines) + "\n")
        with running_bot(
            slack, x, work.database_url(), ACCOUNTS_FILE=str(path), MIRROR_RATE_PER_CHANNEL=str(RATE), **env
        ) as bot:
            customers = add_customers(x, 12)
            for brand in brands:
                post_mentions(x, brand["username"], customers, per_channel)
            started = time.monotonic()
            report = bot.cycle()
            elapsed = time.monotonic() - started
            if report.get("errors"):
                raise RuntimeError(f"the cycle failed: {report['errors']}")
            return _outcome(slack, names, channels * per_channel, elapsed, bot.cycle)


def _figures(label: str, m: dict, channels: int, per_channel: int) -> list[Figure]:
    spread = ", ".join(f"{share:.0%}" for share in m["per_channel"].values())
    how = f"{channels} channels x {per_channel} mentions"
    return [
        Figure(
            SECTION,
            f"{label}: achieved rate / allowed rate",
            100 * m["share"],
            "{:.1f}%",
            target=f">= {TARGET_SHARE:.0%}",
            met=m["share"] >= TARGET_SHARE,
            note=(
                f"{how}; per channel {spread}; {m['rate_limited']} answers 429 (one a channel teaches the pacer that "
                f"Slack allows no burst); one cycle took {m['elapsed_s']:.1f} s"
            ),
            extra=m,
        ),
        Figure(
            SECTION,
            f"{label}: mentions dropped",
            m["dropped"],
            "{:.0f}",
            target="0",
            met=m["dropped"] == 0,
            note=f"{m['left_for_next_cycle']} left by the first cycle for the next; {m['duplicates']} mirrored twice",
            extra=m,
        ),
    ]


def run(quick: bool = False) -> list[Figure]:
    channels, per_channel = (3, 5) if quick else (3, 60)
    figures = _figures("one bot per brand", bots_per_brand(channels, per_channel), channels, per_channel)
    for figure in figures:
        print(figure.line(), flush=True)
    try:
        measured = accounts_file_bot(channels, per_channel)
    except Exception as err:  # ACCOUNTS_FILE is young: say why it could not be measured rather than stop the suite
        print(f"  one bot serving {channels} accounts (ACCOUNTS_FILE): not measured ({type(err).__name__}: {err})")
        return figures
    more = _figures(f"one bot, {channels} accounts in ACCOUNTS_FILE", measured, channels, per_channel)
    for figure in more:
        print(figure.line(), flush=True)
    return figures + more
