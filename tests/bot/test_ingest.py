"""Ingest: every mention stored once with the cursor, authors by expansion, the brand's own posts left out."""

from tests.fakes import SlackFaults
from tests.harness import card_text, cards


def test_mention_becomes_a_card_with_what_an_agent_needs(bot, slack, x, customer):
    post = x.post(customer["id"], "@AcmeSupport my order #A123 never arrived")

    report = bot.cycle()

    assert report["ingested"] == 1 and report["mirrored"] == 1
    [card] = cards(slack)
    text = card_text(card)
    assert "María García" in text
    assert "<https://x.com/maria_g|@maria_g>" in text
    assert "1,234 followers" in text and "Madrid" in text
    assert "my order #A123 never arrived" in text
    assert f"https://x.com/maria_g/status/{post['id']}" in text
    assert "UTC" in text
    assert list(card["blocks"][-1]["elements"][0].values())[2] == "case_claim"


def test_follow_ups_in_the_same_conversation_land_in_the_thread(bot, slack, x, customer):
    first = x.post(customer["id"], "@AcmeSupport the app crashes on login")
    bot.cycle()
    x.post(customer["id"], "@AcmeSupport still crashing, version 4.2", in_reply_to=first["id"])
    x.post(customer["id"], "@AcmeSupport a different question", created_at=None)

    bot.cycle()

    parents = cards(slack)
    assert len(parents) == 2, "a new conversation is a new case"
    thread = slack.replies("C_INBOX", parents[0]["ts"])
    assert len(thread) == 1 and "still crashing, version 4.2" in thread[0]["text"]


def test_long_posts_carry_their_full_text(bot, slack, x, customer):
    long_text = "@AcmeSupport " + "my parcel was left in the rain and everything is soaked. " * 8 + "THE END"
    x.post(customer["id"], long_text)

    bot.cycle()

    assert "THE END" in card_text(cards(slack)[0])


def test_every_page_is_read_100_at_a_time_with_authors_by_expansion(bot, slack, x):
    authors = [x.add_user(f"customer{i}", f"Customer {i}") for i in range(5)]
    for i in range(250):
        x.post(authors[i % 5]["id"], f"@AcmeSupport question number {i}")

    bot.cycle()

    assert len(cards(slack)) == 250
    mention_calls = [r for r in x.requests if r["path"].endswith("/mentions")]
    assert len(mention_calls) == 3
    assert all(r["params"].get("max_results") == "100" for r in mention_calls)
    assert all("author_id" in r["params"].get("expansions", "") for r in mention_calls)
    assert x.count("user_lookup") == 0
    assert all(r["auth"] == "user" for r in mention_calls), "the brand's own token: an owned read"


def test_the_cases_one_read_opens_each_keep_their_conversation(bot, slack, x):
    """250 new cases stored from one read, in one transaction: each card shows its own post, oldest first, and a
    reply in each conversation goes to the thread of that conversation's card."""
    authors = [x.add_user(f"customer{i}", f"Customer {i}") for i in range(5)]
    posts = [x.post(authors[i % 5]["id"], f"@AcmeSupport question number {i:03d}") for i in range(250)]
    bot.cycle()

    shown = [card_text(card) for card in cards(slack)]
    assert len(shown) == 250
    assert all(f"question number {i:03d}" in text for i, text in enumerate(shown))
    for i in (0, 137, 249):
        x.post(authors[i % 5]["id"], f"@AcmeSupport about question {i:03d}", in_reply_to=posts[i]["id"])
    bot.cycle()
    for i in (0, 137, 249):
        assert f"about question {i:03d}" in slack.replies("C_INBOX", cards(slack)[i]["ts"])[-1]["text"]


def test_cursor_is_stored_and_polls_overlap_without_duplicates(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport one")
    bot.cycle()
    x.post(customer["id"], "@AcmeSupport two")

    bot.cycle()
    bot.cycle()

    assert len(cards(slack)) == 2
    last = [r for r in x.requests if r["path"].endswith("/mentions")][-1]
    assert "since_id" in last["params"], "later polls start from the stored cursor"


def test_the_brands_own_posts_never_become_cases(bot, slack, x, customer):
    x.post(x.brand_id, "@AcmeSupport testing our own account")
    x.post(customer["id"], "@AcmeSupport hello")

    bot.cycle()

    [card] = cards(slack)
    assert "hello" in card_text(card)


def test_a_slack_failure_is_made_good_by_the_next_cycle(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport are you there?")
    slack.faults = SlackFaults(rate=1.0, kinds=("500",), methods=("chat.postMessage",))

    report = bot.cycle()

    assert report["ingested"] == 1 and report["mirrored"] == 0
    assert cards(slack) == []
    slack.faults = None

    bot.cycle()

    assert len(cards(slack)) == 1


def test_a_post_x_indexed_late_is_caught_by_the_next_poll_that_reaches_back(make_bot, slack, x, customer):
    from datetime import UTC, datetime, timedelta

    bot = make_bot(POLL_OVERLAP_SECONDS="60", POLL_OVERLAP_EVERY="2")
    x.post(customer["id"], "@AcmeSupport newest")
    bot.cycle()  # the first poll of the process reaches back
    late = x.post(
        customer["id"],
        "@AcmeSupport written earlier, indexed late",
        created_at=datetime.now(UTC) - timedelta(seconds=20),
    )

    bot.cycle()  # reads from the cursor only: the late post sorts before it
    assert len(cards(slack)) == 1
    bot.cycle()  # reaches back a minute

    assert len(cards(slack)) == 2 and late["id"] in card_text(cards(slack)[-1])


def test_text_x_escapes_reads_as_the_customer_wrote_it(bot, slack, x, customer):
    from bot.chats.slack.text import to_plain

    first = x.post(customer["id"], "@AcmeSupport Q&A says 3 < 4 > 2, and &lt; is what I typed")
    bot.cycle()
    x.post(customer["id"], "@AcmeSupport and R&D <team> too", in_reply_to=first["id"])

    bot.cycle()

    [card] = cards(slack)
    assert "Q&A says 3 < 4 > 2, and &lt; is what I typed" in to_plain(card_text(card))
    [follow_up] = slack.replies("C_INBOX", card["ts"])
    assert "and R&D <team> too" in to_plain(card_text(follow_up))


def test_retweets_are_not_cases_nor_follow_ups(bot, slack, x, customer):
    complaint = x.post(customer["id"], "@AcmeSupport my parcel was left in the rain")
    bot.cycle()
    for name in ("fan1", "fan2", "fan3"):
        x.retweet(x.add_user(name)["id"], complaint)  # "RT @maria_g: @AcmeSupport my parcel…" mentions the brand
    answer = x.post(x.brand_id, "@maria_g so sorry, we are on it", in_reply_to=complaint["id"])
    x.retweet(x.add_user("fan4")["id"], answer)  # "RT @AcmeSupport: …" mentions the brand too

    report = bot.cycle()

    assert report["ingested"] == 0 and report["errors"] == []
    [card] = cards(slack)
    assert slack.replies("C_INBOX", card["ts"]) == []
