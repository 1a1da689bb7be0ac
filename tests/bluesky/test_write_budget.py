"""Bluesky's write points counted ahead, through the real bot against the stand-in with a small budget: a reply
that would pass it is not sent but queued, with the time it goes out said in the thread, and goes out then."""

import pytest

from tests.harness import RunningBot, cards, click, wait_until


@pytest.fixture
def small_budget_bot(slack, bsky_env):
    bot = RunningBot({**bsky_env, "BLUESKY_POINTS_PER_HOUR": "6"}, slack)  # two replies (3 points each) an hour
    yield bot
    bot.stop()


def test_a_reply_over_the_write_budget_is_queued_with_its_time_and_goes_out_then(small_budget_bot, slack, bsky):
    bot = small_budget_bot
    bsky.post("carla.test", "@acme.test my parcel never came", mention="acme.test")
    bot.cycle()
    [card] = cards(slack)
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in str(slack.message("C_INBOX", card["ts"])["blocks"]))

    for n in (1, 2, 3):
        bot.slack.say("UANA", "C_INBOX", f"Update {n} on your parcel", thread_ts=card["ts"])
        if n < 3:
            wait_until(lambda n=n: len(bsky.dms_from("acme.test")) == 0 and len(own_posts(bsky)) == n)

    said = wait_until(lambda: [m["text"] for m in slack.replies("C_INBOX", card["ts"]) if "queued" in m["text"]])
    assert "write limit of @acme.test (6 points an hour)" in said[0] and "will go out at" in said[0]
    bot.settle()
    assert len(own_posts(bsky)) == 2 and bsky.calls.count("com.atproto.repo.createRecord") == 2

    bot.clock_ahead(3700)
    bot.cycle()
    wait_until(lambda: len(own_posts(bsky)) == 3)


def own_posts(bsky) -> list[dict]:
    brand = bsky.did_of("acme.test")
    return [p for p in bsky.posts.values() if p["author"] == brand]
