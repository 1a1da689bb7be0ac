"""Bluesky's request economy: requests per 1,000 new mentions read through the adapter from the XRPC stand-in, and
profile look-ups outside batches (getProfile; none expected). `python -m bench.bluesky_economy`."""

from bot.networks.bluesky.network import BlueskyNetwork
from bot.sandbox.standins.bluesky_api import FakeBluesky

MENTIONS = 1000
AUTHORS = 200  # customers write more than once


def measure() -> dict:
    with FakeBluesky() as fake:
        fake.add_user("acme.test", "pw")
        for n in range(AUTHORS):
            fake.add_user(f"c{n}.test")
        network = BlueskyNetwork(pds_url=fake.url, handle="acme.test", app_password="pw")
        me = network.me()
        for n in range(MENTIONS):
            fake.post(f"c{n % AUTHORS}.test", f"@acme.test problem {n}", mention="acme.test")
        start = len(fake.calls)
        result = network.fetch_mentions(me, None)
        calls = fake.calls[start:]
    assert len(result.posts) == MENTIONS
    return {
        "requests_per_1000_mentions": len(calls) * 1000 / MENTIONS,
        "profile_lookups_outside_batches": calls.count("app.bsky.actor.getProfile"),
        "by_method": {m: calls.count(m) for m in sorted(set(calls))},
    }


if __name__ == "__main__":
    figures = measure()
    print(
        f"Bluesky: {figures['requests_per_1000_mentions']:.2f} requests per 1,000 new mentions "
        f"({AUTHORS} authors); {figures['profile_lookups_outside_batches']} profile look-ups outside batches"
    )
    print("  " + ", ".join(f"{m} {n}" for m, n in figures["by_method"].items()))
