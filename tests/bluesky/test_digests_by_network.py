"""The digests and /social-stats with cases on X and on Bluesky: a row per network, by its display name, beside
the other, and the two together."""

import json

from bot.chats.teams.digest_cards import stats_card
from bot.domain.digests import DAILY
from tests.bot.test_digests import digests, texts
from tests.handlers.test_social_stats import shown
from tests.harness import RunningBot, card_text, cards, click, wait_until


def two_networks_day(bot, slack, x, customer, bsky):
    """María on X is answered; Carla and Dan on Bluesky: Carla's case is resolved without a reply, Dan waits."""
    x.post(customer["id"], "@AcmeSupport my refund never arrived")
    bsky.post("carla.test", "@acme.test my parcel never came", mention="acme.test")
    bsky.add_user("dan.test", name="Dan")
    bsky.post("dan.test", "@acme.test where is my order?", mention="acme.test")
    bot.cycle()
    maria, carla = (next(c for c in cards(slack) if words in card_text(c)) for words in ("refund", "parcel"))
    click(bot, "UANA", maria, "case_claim")
    wait_until(lambda: "Claimed" in json.dumps(slack.message("C_INBOX", maria["ts"])["blocks"]))
    bot.slack.say("UANA", "C_INBOX", "So sorry! The refund is on its way.", thread_ts=maria["ts"])
    wait_until(lambda: "Posted on X" in json.dumps(slack.replies("C_INBOX", maria["ts"])))
    click(bot, "UANA", carla, "case_resolve")
    wait_until(lambda: "Resolved" in json.dumps(slack.message("C_INBOX", carla["ts"])["blocks"]))


def test_social_stats_shows_x_and_bluesky_side_by_side_and_together(bsky_bot, slack, x, customer, bsky):
    two_networks_day(bsky_bot, slack, x, customer, bsky)

    text = shown(bsky_bot.slack.command("UBEN", "/social-stats", ""), slack)

    assert "*By network*" in text
    assert "*Bluesky* · 2 opened · 1 resolved" in text
    assert "*X* · 1 opened · 100% answered within target · 0 resolved" in text
    assert "*Together* · 3 opened · 100% answered within target · 1 resolved" in text
    assert text.index("*Bluesky*") < text.index("*X*") < text.index("*Together*")  # most cases first


def test_with_business_hours_the_rows_are_counted_the_same(slack, x, customer, bsky, bsky_env):
    bot = RunningBot({**bsky_env, "BUSINESS_HOURS": "Mon-Sun 00:00-24:00"}, slack)
    try:
        two_networks_day(bot, slack, x, customer, bsky)
        text = shown(bot.slack.command("UBEN", "/social-stats", ""), slack)
    finally:
        bot.stop()

    assert "*Bluesky* · 2 opened · 1 resolved" in text
    assert "*X* · 1 opened · 100% answered within target · 0 resolved" in text
    assert "*Together* · 3 opened · 100% answered within target · 1 resolved" in text


def test_the_resolution_digest_and_the_teams_card_carry_the_same_rows(bsky_bot, slack, x, customer, bsky):
    two_networks_day(bsky_bot, slack, x, customer, bsky)
    bridge = bsky_bot.bridge

    bridge.digests.post(DAILY, bridge.digests.daily(bridge.metrics.today()), force=True)

    sla, resolution = (texts(m) for m in digests(slack))
    assert "*Cases opened*\n3" in sla
    assert "*Bluesky* · 2 opened · 1 resolved" in resolution
    assert "*X* · 1 opened · 100% answered within target · 0 resolved" in resolution
    assert "*Together* · 3 opened · 100% answered within target · 1 resolved" in resolution
    card = json.dumps(stats_card(bridge.metrics.report(bridge.metrics.period("today")), str), ensure_ascii=False)
    assert '{"title": "Bluesky", "value": "2 opened · 1 resolved"}' in card
    assert '{"title": "Together", "value": "3 opened · 100% answered within target · 1 resolved"}' in card


def test_with_x_alone_the_figures_have_no_network_rows(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport my refund never arrived")
    bot.cycle()

    text = shown(bot.slack.command("UBEN", "/social-stats", ""), slack)

    assert "*Cases opened*\\n1" in text and "By network" not in text
