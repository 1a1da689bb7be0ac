"""A source X refuses (a 403 on the app or the account, a 400, a 402, a usage cap) stops alone: its channel is told
once, in X's words with what to do, and once more when X serves it again; every other source, and mirroring,
settling and sending, go on."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.bot.test_sources import ACCOUNTS, shop, sources_env  # noqa: F401 (fixtures)
from tests.harness import RunningBot, card_text, cards


@pytest.fixture
def accounts_bot(sources_env, slack):  # noqa: F811
    """Two accounts (support with its DMs, shop) and a tracked term, each in its channel (tests/bot/test_sources)."""
    bot = RunningBot(sources_env(), slack)
    yield bot
    bot.stop()


def told(slack, channel: str) -> list[str]:
    """What the bridge said in a channel, apart from the case cards."""
    return [m["text"] for m in slack.messages(channel) if (m.get("metadata") or {}).get("event_type") != "social_case"]


def asks_again_at(text: str) -> int:
    """The minute of the day at which a notice says X is asked again."""
    hours, minutes = re.search(r"asks X again at (\d\d):(\d\d) UTC", text).groups()
    return int(hours) * 60 + int(minutes)


def minutes_apart(a: int, b: int) -> int:
    return min((a - b) % 1440, (b - a) % 1440)


def test_a_refused_accounts_mentions_stop_alone_are_said_once_and_back_once(accounts_bot, slack, x, shop):  # noqa: F811
    bot = accounts_bot
    maria, bob, carla, dan = (x.add_user(name) for name in ("maria_g", "bob", "carla", "dan"))
    x.refuse("mentions", "client-not-enrolled", user=x.brand_id)  # the support account's mentions only
    x.post(maria["id"], "@AcmeSupport my refund is late")
    x.post(bob["id"], "@AcmeShop is the blue one back in stock?")
    x.post(carla["id"], "third broken charger this year #acmefail")
    x.send_dm(dan["id"], "my order 5521 never arrived")

    first = bot.cycle()
    second = bot.cycle()

    assert [len(cards(slack, c)) for c in ("C_SUPPORT", "C_SHOP", "C_LISTEN", "C_DMS")] == [0, 1, 1, 1]
    assert {"ingested", "mirrored", "settled", "sent"} <= set(first) and first["mirrored"] == 3
    assert any("the mentions of @AcmeSupport" in e for e in first["errors"] + second["errors"])
    [notice] = told(slack, "C_SUPPORT")
    assert notice.startswith(":no_entry: The mentions of @AcmeSupport are not read for now: X refuses the app.")
    assert "X said: “When authenticating requests to the Twitter API v2 endpoints" in notice
    assert "attach the app to a Project" in notice and "Standard Basic" in notice
    assert "https://developer.twitter.com/en/docs/projects/overview" in notice
    assert [told(slack, c) for c in ("C_SHOP", "C_LISTEN", "C_DMS")] == [[], [], []]
    assert x.count("mentions") == 4, "both accounts asked at each poll: a refusal ends when X serves again"

    x.refuse("mentions", None, user=x.brand_id)
    bot.cycle()
    bot.cycle()

    [card] = cards(slack, "C_SUPPORT")
    assert "my refund is late" in card_text(card)
    assert len(told(slack, "C_SUPPORT")) == 2
    assert told(slack, "C_SUPPORT")[1].startswith(":white_check_mark: The mentions of @AcmeSupport are read again")


def test_a_term_x_refuses_as_a_query_is_said_in_its_channel_with_the_fix(sources_env, slack, x, shop):  # noqa: F811
    bot = RunningBot(sources_env(ACCOUNTS.replace('"#acmefail"', '"(#acmefail"')), slack)
    try:
        x.post(x.add_user("maria_g")["id"], "@AcmeSupport hello?")
        bot.cycle()
        bot.cycle()
    finally:
        bot.stop()

    [notice] = told(slack, "C_LISTEN")
    assert notice.startswith(':no_entry: The posts matching "(#acmefail" are not read for now')
    assert "There were errors processing your request" in notice and "Correct the term in ACCOUNTS_FILE" in notice
    assert len(cards(slack, "C_SUPPORT")) == 1


@pytest.mark.parametrize(
    "problem, said, fix, paused",
    [
        ("user-suspended", "The user used for authentication is suspended", "X suspended the account", False),
        ("oauth1-permissions", "appropriate oauth1 app permissions", "regenerate the account's access token", False),
        ("credits-depleted", "does not have any credits to fulfill this request", "Buy credits", True),
        ("usage-capped", "Usage cap exceeded: Monthly product cap", "Raise the cap", True),
    ],
)
def test_each_refusal_of_the_account_is_said_once_in_xs_words(bot, slack, x, customer, problem, said, fix, paused):
    x.refuse("mentions", problem)
    x.post(customer["id"], "@AcmeSupport are you there?")

    report = bot.cycle()
    asked = x.count("mentions")
    bot.cycle()

    [notice] = told(slack, "C_INBOX")
    assert "The mentions of @AcmeSupport are not read for now" in notice
    assert "X said: “" in notice and said in notice and fix in notice
    assert report["errors"] and cards(slack) == []
    if paused:  # a spent allowance is not a 15-minute window: asked again in an hour, X giving no renewal time
        assert x.count("mentions") == asked
        assert "then every hour" in notice
        soon = datetime.now(UTC) + timedelta(hours=1)
        assert minutes_apart(asks_again_at(notice), soon.hour * 60 + soon.minute) <= 2
    else:
        assert x.count("mentions") == asked + 1 and "at every poll" in notice
        x.refuse("mentions", None)
        bot.cycle()
        assert len(cards(slack)) == 1 and "read again" in told(slack, "C_INBOX")[-1]


def test_a_monthly_cap_names_its_period_and_a_daily_one_too(bot, slack, x):
    x.refuse("mentions", "usage-capped", period="Daily", scope="Account")

    bot.cycle()

    [notice] = told(slack, "C_INBOX")
    assert "X's daily usage cap of the developer account is reached" in notice
    assert "Usage cap exceeded: Daily account cap" in notice


def test_an_account_x_refuses_to_name_leaves_the_cycle_going_and_comes_back(bot, slack, x, customer):
    x.refuse("me", "user-suspended")
    x.post(customer["id"], "@AcmeSupport hello?")

    report = bot.cycle()

    assert {"mirrored", "settled", "sent"} <= set(report)
    assert "X refuses the account" in report["errors"][0] and cards(slack) == []
    x.refuse("me", None)
    bot.cycle()
    assert len(cards(slack)) == 1
