"""Limits are respected, not discovered: Slack's per-channel pace and its 429s, X's 429 on mentions."""

import time

import pytest

from tests.fakes import FakeSlack, XFaults
from tests.harness import RunningBot, bot_env, card_text, cards, click, wait_until


@pytest.fixture
def limited_slack():
    with FakeSlack(post_rate_per_channel=1.0, burst=1) as fake:
        yield fake


def test_mirroring_keeps_slacks_pace_without_a_single_429(x, database_url, customer):
    # Slack allows short bursts: a bucket of two absorbs the network's jitter around one second.
    limited_slack = FakeSlack(post_rate_per_channel=1.0, burst=2).__enter__()
    bot = RunningBot(bot_env(limited_slack, x, database_url, MIRROR_RATE_PER_CHANNEL="1"), limited_slack)
    try:
        for i in range(4):
            x.post(customer["id"], f"@AcmeSupport question {i}")
        started = time.monotonic()
        bot.cycle()
        elapsed = time.monotonic() - started
    finally:
        bot.stop()
        limited_slack.stop()
    assert len(cards(limited_slack)) == 4
    assert limited_slack.rate_limited == 0
    assert elapsed >= 2.5, "four posts to one channel take three seconds at one per second"


def test_a_429_is_waited_out_and_nothing_is_dropped(limited_slack, x, database_url, customer):
    bot = RunningBot(bot_env(limited_slack, x, database_url, MIRROR_RATE_PER_CHANNEL="50"), limited_slack)
    try:
        for i in range(3):
            x.post(customer["id"], f"@AcmeSupport burst {i}")
        bot.cycle()
    finally:
        bot.stop()
    assert limited_slack.rate_limited >= 1, "the stand-in did refuse some posts"
    assert len(cards(limited_slack)) == 3


def test_a_429_from_x_on_mentions_pauses_polling_until_the_reset(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport hello")
    x.faults = XFaults(rate=1.0, kinds=("429",), endpoints=("mentions",), reset_in=60)

    report = bot.cycle()
    asked = x.count("mentions")
    bot.cycle()

    assert report["errors"] and "rate limit" in report["errors"][0]
    assert x.count("mentions") == asked, "no request before the reset time X gave"
    x.faults = None
    bot.clock_ahead(61)
    bot.cycle()
    assert len(cards(slack)) == 1


def test_cards_are_redrawn_right_when_chat_update_meets_its_tier_3_limit(x, database_url, customer):
    slack = FakeSlack(update_rate_per_minute=60, update_burst=2).__enter__()
    bot = RunningBot(bot_env(slack, x, database_url), slack)
    try:
        for i in range(5):
            x.post(customer["id"], f"@AcmeSupport question {i}")
        bot.cycle()
        for card in cards(slack):
            click(bot, "UANA", card, "case_claim")
        wait_until(lambda: all("<@UANA>" in card_text(c) for c in cards(slack)), timeout=30)
    finally:
        bot.stop()
        slack.stop()
    assert slack.rate_limited >= 1, "Slack did refuse some updates"
    assert len(cards(slack)) == 5
