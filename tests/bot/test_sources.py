"""Several brand accounts, a tracked term and direct messages (ACCOUNTS_FILE), each routed to its channel: replies
go out from the account written to or as a DM; term cases are read-only; a wrong entry is reported by name."""

import textwrap

import pytest

from bot.settings import ConfigError, from_env
from tests.harness import RunningBot, bot_env, buttons, card_text, cards, wait_until

ACCOUNTS = """
accounts:
  - name: support
    channel: C_SUPPORT
    campaign: Support
    dm_channel: C_DMS
    credentials: {access_token: SUPPORT_X_TOKEN, access_token_secret: SUPPORT_X_SECRET}
  - name: shop
    channel: C_SHOP
    campaign: Shop
    credentials: {access_token: SHOP_X_TOKEN, access_token_secret: SHOP_X_SECRET}
terms:
  - term: "#acmefail"
    channel: C_LISTEN
    campaign: Listening
"""


@pytest.fixture
def shop(x):
    return x.add_brand("AcmeShop", "Acme Shop")


@pytest.fixture
def sources_env(slack, x, shop, database_url, tmp_path):
    for channel in ("C_SUPPORT", "C_SHOP", "C_LISTEN", "C_DMS"):
        slack.add_channel(channel)

    def make(text: str = ACCOUNTS, **extra) -> dict:
        path = tmp_path / "accounts.yml"
        path.write_text(textwrap.dedent(text))
        env = bot_env(slack, x, database_url, ACCOUNTS_FILE=str(path), **extra)
        del env["X_ACCESS_TOKEN"], env["X_ACCESS_TOKEN_SECRET"]  # the file names each account's own
        env.update(
            SUPPORT_X_TOKEN=x.access_token,
            SUPPORT_X_SECRET=x.access_token_secret,
            SHOP_X_TOKEN=shop["access_token"],
            SHOP_X_SECRET=shop["access_token_secret"],
        )
        return env

    return make


@pytest.fixture
def bot(sources_env, slack):
    bot = RunningBot(sources_env(), slack)
    yield bot
    bot.stop()


def claim(bot, slack, channel: str, card: dict, user: str = "UANA") -> None:
    bot.slack.click(user, channel, card["ts"], "case_claim", buttons(card)["case_claim"])
    wait_until(lambda: "Claimed" in card_text(slack.message(channel, card["ts"])))


def thread_texts(slack, channel: str, card: dict) -> list[str]:
    return [m.get("text", "") for m in slack.replies(channel, card["ts"])]


def test_each_source_lands_in_its_channel_once(bot, slack, x, shop):
    maria = x.add_user("maria_g", "María García")
    bob = x.add_user("bob")
    carla = x.add_user("carla")
    dan = x.add_user("dan")
    x.post(maria["id"], "@AcmeSupport my refund is late")
    x.post(bob["id"], "@AcmeShop is the blue one back in stock?")
    term_post = x.post(carla["id"], "third broken charger this year #acmefail")
    x.post(bob["id"], "@AcmeShop wrong size again #acmefail")  # a mention and the term: one case, the mention's
    x.send_dm(dan["id"], "my order 5521 never arrived, address inside")

    report = bot.cycle()

    assert report["errors"] == [] and report["ingested"] == 5
    assert [card_text(c).count("my refund is late") for c in cards(slack, "C_SUPPORT")] == [1]
    assert len(cards(slack, "C_SHOP")) == 2 and "Shop" in card_text(cards(slack, "C_SHOP")[0])
    [term] = cards(slack, "C_LISTEN")
    text = card_text(term)
    assert "third broken charger" in text and "Read-only" in text and "Listening" in text
    assert "lets an account reply only to posts that mention it" in text
    assert f"https://x.com/carla/status/{term_post['id']}" in text
    [dm] = cards(slack, "C_DMS")
    text = card_text(dm)
    assert "my order 5521 never arrived" in text and "Private" in text and "/status/" not in text
    assert cards(slack, "C_INBOX") == []

    again = bot.cycle()

    assert again["ingested"] == 0 and again["errors"] == []
    assert [len(cards(slack, c)) for c in ("C_SUPPORT", "C_SHOP", "C_LISTEN", "C_DMS")] == [1, 2, 1, 1]
    assert [r for r in x.requests if r["path"] == "/2/tweets/search/recent"][-1]["params"].get("since_id")


def test_replies_go_out_from_the_account_the_customer_wrote_to(bot, slack, x, shop):
    maria = x.add_user("maria_g")
    to_shop = x.post(maria["id"], "@AcmeShop do you ship to Spain?")
    to_support = x.post(maria["id"], "@AcmeSupport and my refund?")
    bot.cycle()
    [shop_card], [support_card] = cards(slack, "C_SHOP"), cards(slack, "C_SUPPORT")
    claim(bot, slack, "C_SHOP", shop_card)
    claim(bot, slack, "C_SUPPORT", support_card)

    bot.slack.say("UANA", "C_SHOP", "Yes, in 3 days!", thread_ts=shop_card["ts"])
    bot.slack.say("UANA", "C_SUPPORT", "Refund sent today.", thread_ts=support_card["ts"])

    [from_shop] = wait_until(lambda: x.brand_posts("AcmeShop"))
    [from_support] = wait_until(lambda: x.brand_posts())
    assert from_shop["text"] == "Yes, in 3 days!" and from_shop["referenced_tweets"][0]["id"] == to_shop["id"]
    assert from_support["referenced_tweets"][0]["id"] == to_support["id"]
    link = f"https://x.com/AcmeShop/status/{from_shop['id']}"
    wait_until(lambda: any(link in t for t in thread_texts(slack, "C_SHOP", shop_card)))


def test_the_owners_thread_replies_to_a_dm_are_sent_as_dms(bot, slack, x):
    dan = x.add_user("dan")
    x.send_dm(dan["id"], "hello, private question")
    bot.cycle()
    [card] = cards(slack, "C_DMS")
    claim(bot, slack, "C_DMS", card)
    long_answer = "We checked your account in detail. " * 12  # 420 characters: too long for a post, fine as a DM

    bot.slack.say("UANA", "C_DMS", long_answer, thread_ts=card["ts"])

    sent = wait_until(lambda: [d for d in x.dms if d["sender_id"] == x.brand_id])
    assert sent[0]["text"] == long_answer.strip() and sent[0]["participant_ids"] == [x.brand_id, dan["id"]]
    wait_until(lambda: any("as a direct message" in t for t in thread_texts(slack, "C_DMS", card)))
    assert x.brand_posts() == [] and x.count("create_tweet") == 0

    bot.slack.say("UANA", "C_DMS", "x" * 10_001, thread_ts=card["ts"])
    [notice] = wait_until(lambda: slack.ephemerals)
    assert "10,001" in notice["text"] and "10,000" in notice["text"]

    x.send_dm(dan["id"], "thanks, and one more thing")
    bot.cycle()
    assert len(cards(slack, "C_DMS")) == 1, "our own DM is no case; the customer's next one joins the thread"
    assert any("one more thing" in t for t in thread_texts(slack, "C_DMS", card))


def test_a_term_case_refuses_replies_with_the_reason_privately(bot, slack, x):
    carla = x.add_user("carla")
    x.post(carla["id"], "never again #acmefail")
    bot.cycle()
    [card] = cards(slack, "C_LISTEN")
    claim(bot, slack, "C_LISTEN", card)

    bot.slack.say("UANA", "C_LISTEN", "So sorry to hear that!", thread_ts=card["ts"])
    bot.slack.say("UANA", "C_LISTEN", "note: escalated to quality", thread_ts=card["ts"])

    [notice] = wait_until(lambda: slack.ephemerals)
    assert notice["user"] == "UANA" and "lets an account reply only to posts that mention it" in notice["text"]
    assert x.count("create_tweet") == 0 and x.count("dm_send") == 0


def test_social_stats_takes_a_campaign_name(bot, slack, x, shop):
    import json

    maria = x.add_user("maria_g")
    x.post(maria["id"], "@AcmeShop do you ship to Spain?")
    x.post(maria["id"], "@AcmeSupport where is my refund?")
    x.post(maria["id"], "@AcmeSupport and the invoice?", created_at=None)
    bot.cycle()

    def shown(text: str) -> str:
        before = len(slack.responses)
        delivery = bot.slack.command("UBEN", "/social-stats", text, channel="C_SHOP")
        # the figures come in the ack, or right after it when they take longer
        answer = delivery.json if delivery.body.strip() else wait_until(lambda: slack.responses[before:])[0]
        return answer["text"] + json.dumps(answer.get("blocks", []), ensure_ascii=False)

    assert "in Shop" in shown("shop") and "*Cases opened*\\n1" in shown("7d Shop")
    assert "in Support" in shown("support") and "*Cases opened*\\n2" in shown("support")
    everyone = shown("today")
    assert "*Cases opened*\\n3" in everyone and "*Shop*" in everyone and "*Support*" in everyone
    assert "nor a campaign: Listening, Shop, Support" in bot.slack.command("UBEN", "/social-stats", "shopp").body


BROKEN = """
accounts:
  - name: support
    channel: C_SUPPORT
    credentials: {access_token: SUPPORT_X_TOKEN, access_token_secret: SUPPORT_X_SECRET}
  - name: shop
    channel: C_SHOP
    credentials: {access_token: SHOP_X_TOKEN, access_token_secret: SHOP_X_SECRET}
  - name: support
    channel: C_SHOP
    credentials: {access_token: GHOST_X_TOKEN, access_token_secret: SHOP_X_SECRET}
  - name: ghost
    channel: C_NOWHERE
    credentials: {access_token: GHOST_X_TOKEN, access_token_secret: SHOP_X_SECRET}
terms:
  - term: "#acmefail"
    channel: C_LISTEN
    account: nobody
"""


def test_bad_entries_are_reported_by_name_at_start_and_the_others_work(sources_env, slack, x, tmp_path):
    from tests.bot.test_cli import run_cli

    ghost = x.add_brand("AcmeGhost")
    env = sources_env(BROKEN, GHOST_X_TOKEN=ghost["access_token"])
    del env["SHOP_X_TOKEN"]
    x.post(x.add_user("maria_g")["id"], "@AcmeSupport hello?")

    result = run_cli(["poll-once"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    assert 'account "shop": SHOP_X_TOKEN is not set' in result.stderr
    assert 'account "support": the name appears twice' in result.stderr
    assert 'account "ghost": channel C_NOWHERE' in result.stderr
    assert 'term "#acmefail": it names account "nobody"' in result.stderr
    assert "stored 1 new mention" in result.stdout
    assert len(cards(slack, "C_SUPPORT")) == 1 and cards(slack, "C_SHOP") == []


def test_a_file_that_cannot_be_used_stops_the_start_naming_it(sources_env, tmp_path):
    env = sources_env("accounts: []\n")
    with pytest.raises(ConfigError, match="ACCOUNTS_FILE.*at least one account"):
        from_env(env)
    env["ACCOUNTS_FILE"] = str(tmp_path / "missing.yml")
    with pytest.raises(ConfigError, match="ACCOUNTS_FILE.*missing.yml cannot be read"):
        from_env(env)


def test_the_doctor_checks_every_account_and_channel_of_the_file(x, shop, database_url, tmp_path):
    from tests.bot.test_doctor import SCOPES, examine
    from tests.fakes import FakeSlack

    with FakeSlack(scopes=SCOPES, channels=("C_SUPPORT", "C_SHOP", "C_DMS", "C_DIGEST")) as slack:
        path = tmp_path / "accounts.yml"
        path.write_text(ACCOUNTS)
        env = bot_env(slack, x, database_url, ACCOUNTS_FILE=str(path))
        env.update(
            SUPPORT_X_TOKEN=x.access_token,
            SUPPORT_X_SECRET=x.access_token_secret,
            SHOP_X_TOKEN=shop["access_token"],
            SHOP_X_SECRET=shop["access_token_secret"],
        )

        status, lines, text = examine(env)

    assert status == 1, text
    assert lines['X reading mentions ("shop")'].startswith("ok ") and "@AcmeShop" in text
    assert lines['X reading mentions ("support")'].startswith("ok ")
    assert lines['Channel of account "shop"'].startswith("ok ")
    assert lines['DM channel of account "support"'].startswith("ok ")
    assert lines['Channel of term "#acmefail"'].startswith("FAIL") and "C_LISTEN" in text


def test_retweets_of_a_tracked_term_are_left_out_of_the_search_even_with_or(sources_env, slack, x):
    bot = RunningBot(sources_env(ACCOUNTS.replace('"#acmefail"', '"#acmefail OR #acmebroken"')), slack)
    try:
        carla, dan = x.add_user("carla"), x.add_user("dan")
        posts = [x.post(carla["id"], "third broken charger #acmefail"), x.post(dan["id"], "screen dead #acmebroken")]
        for fan in (x.add_user("fan1"), x.add_user("fan2")):
            for post in posts:
                x.retweet(fan["id"], post)

        bot.cycle()
    finally:
        bot.stop()

    assert sorted(card_text(c).count("#acme") for c in cards(slack, "C_LISTEN")) == [1, 1]
    [search] = [r for r in x.requests if r["path"] == "/2/tweets/search/recent"]
    assert search["params"]["query"] == "(#acmefail OR #acmebroken) -is:retweet"
