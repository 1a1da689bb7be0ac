"""Replies from the thread: only the owner's go public, once, within X's length, failures said plainly."""

import re
from datetime import UTC, datetime, timedelta

from tests.fakes import FakeX, XFaults
from tests.harness import RunningBot, bot_env, cards, click, wait_until


def claimed_case(bot, slack, x, customer, owner="UANA"):
    post = x.post(customer["id"], "@AcmeSupport where is my refund?")
    bot.cycle()
    card = cards(slack)[-1]
    click(bot, owner, card, "case_claim")
    wait_until(lambda: bot.bridge.casework and "Claimed" in str(slack.message("C_INBOX", card["ts"])["blocks"]))
    return post, card


def thread_texts(slack, card):
    return [m.get("text", "") for m in slack.replies("C_INBOX", card["ts"])]


def test_owner_reply_is_posted_in_reply_to_the_latest_post_and_linked(bot, slack, x, customer):
    first, card = claimed_case(bot, slack, x, customer)
    latest = x.post(customer["id"], "@AcmeSupport order 5521, paid by card", in_reply_to=first["id"])
    bot.cycle()

    bot.slack.say(
        "UANA",
        "C_INBOX",
        "Thanks! The refund for <https://acme.com/o/5521|acme.com/o/5521> is on its way &amp; should arrive in 3 days.",
        thread_ts=card["ts"],
    )

    [reply] = wait_until(lambda: x.brand_posts())
    assert reply["referenced_tweets"] == [{"type": "replied_to", "id": latest["id"]}]
    assert reply["text"] == "Thanks! The refund for https://acme.com/o/5521 is on its way & should arrive in 3 days."
    link = f"https://x.com/AcmeSupport/status/{reply['id']}"
    wait_until(lambda: any(link in t for t in thread_texts(slack, card)))


def test_notes_and_other_agents_messages_stay_internal(bot, slack, x, customer):
    _, card = claimed_case(bot, slack, x, customer)

    bot.slack.say("UANA", "C_INBOX", "note: customer is a VIP, be nice", thread_ts=card["ts"])
    bot.slack.say("UANA", "C_INBOX", "NOTE : checking with billing", thread_ts=card["ts"])
    bot.slack.say("UBEN", "C_INBOX", "I think it was refunded yesterday", thread_ts=card["ts"])
    bot.slack.say("UANA", "C_INBOX", "Refund confirmed, sorry for the wait!", thread_ts=card["ts"])

    wait_until(lambda: len(x.brand_posts()) == 1)
    bot.settle()
    assert [p["text"] for p in x.brand_posts()] == ["Refund confirmed, sorry for the wait!"]


def test_in_an_unclaimed_case_the_author_is_told_privately_to_claim_first(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport hello?")
    bot.cycle()
    card = cards(slack)[0]

    bot.slack.say("UANA", "C_INBOX", "Hi! How can we help?", thread_ts=card["ts"])

    [notice] = wait_until(lambda: slack.ephemerals)
    assert notice["user"] == "UANA" and "Claim it first" in notice["text"]
    assert x.brand_posts() == []


def test_a_reply_over_280_weighted_characters_is_not_posted_and_the_count_is_given(bot, slack, x, customer):
    _, card = claimed_case(bot, slack, x, customer)
    text = "ありがとうございます" * 15  # 150 CJK characters weigh 300

    bot.slack.say("UANA", "C_INBOX", text, thread_ts=card["ts"])

    [notice] = wait_until(lambda: slack.ephemerals)
    assert "300" in notice["text"] and "280" in notice["text"]
    assert x.brand_posts() == [] and x.count("create_tweet") == 0


def test_a_retried_event_never_posts_twice(bot, slack, x, customer):
    _, card = claimed_case(bot, slack, x, customer)

    delivery = bot.slack.say("UANA", "C_INBOX", "We are on it.", thread_ts=card["ts"])
    again = bot.slack.redeliver(delivery, retry_num=1)
    bot.slack.redeliver(delivery, retry_num=2)

    assert again.status == 200
    wait_until(lambda: x.brand_posts())
    bot.settle()
    assert len(x.brand_posts()) == 1 and x.count("create_tweet") == 1


def test_the_same_message_under_a_new_event_id_never_posts_twice(bot, slack, x, customer):
    _, card = claimed_case(bot, slack, x, customer)
    delivery = bot.slack.say("UANA", "C_INBOX", "Checking now.", thread_ts=card["ts"])
    wait_until(lambda: x.brand_posts())

    payload = dict(delivery.payload, event_id="Ev_OTHER_ID")
    import json

    bot.slack.post_raw(json.dumps(payload).encode(), content_type="application/json")

    bot.settle()
    assert x.count("create_tweet") == 1


def say_and_wait_for_thread(bot, slack, card, text, expect):
    bot.slack.say("UANA", "C_INBOX", text, thread_ts=card["ts"])
    return wait_until(lambda: [t for t in thread_texts(slack, card) if expect in t])


def test_deleted_post_is_said_plainly_in_the_thread(bot, slack, x, customer):
    post, card = claimed_case(bot, slack, x, customer)
    x.delete(post["id"])

    [said] = say_and_wait_for_thread(bot, slack, card, "Hello again", "Not posted on X")
    assert "deleted" in said


def test_reply_not_allowed_is_said_plainly(bot, slack, x, customer):
    # The customer's follow-up does not mention the brand, and the bridge replies to it... only if it
    # was ingested: make the latest customer post one that does not mention the brand.
    post, card = claimed_case(bot, slack, x, customer)
    with bot.bridge.session() as s:
        from sqlalchemy import update

        from storage.models import Message

        other = x.post(customer["id"], "just talking to myself")
        s.exec(update(Message).where(Message.post_id == post["id"]).values(post_id=other["id"]))

    [said] = say_and_wait_for_thread(bot, slack, card, "Hi there", "Not posted on X")
    assert "does not allow this reply" in said


def test_duplicate_content_is_said_plainly(bot, slack, x, customer):
    _, card = claimed_case(bot, slack, x, customer)
    say_and_wait_for_thread(bot, slack, card, "Thank you!", "Posted on X")

    [said] = say_and_wait_for_thread(bot, slack, card, "Thank you!", "Not posted on X")
    assert "duplicate" in said


def test_rate_limited_reply_is_queued_said_with_its_time_and_goes_out_later(bot, slack, x, customer):
    _, card = claimed_case(bot, slack, x, customer)
    x.faults = XFaults(rate=1.0, kinds=("429",), endpoints=("create_tweet",), reset_in=60)

    [said] = say_and_wait_for_thread(bot, slack, card, "We will fix it today.", "rate limit")
    assert "will go out at" in said and "UTC" in said
    assert x.brand_posts() == []

    x.faults = None
    bot.cycle()
    assert x.brand_posts() == [], "not before the reset time X gave"
    bot.clock_ahead(61)
    bot.cycle()

    assert [p["text"] for p in x.brand_posts()] == ["We will fix it today."]
    wait_until(lambda: any("Posted on X" in t for t in thread_texts(slack, card)))


def test_messages_outside_case_threads_are_ignored(bot, slack, x, customer):
    claimed_case(bot, slack, x, customer)

    bot.slack.say("UANA", "C_INBOX", "lunch anyone?")
    top = slack.messages("C_INBOX")[-1]
    bot.slack.say("UANA", "C_INBOX", "yes!", thread_ts=top["ts"])

    bot.settle()
    assert x.count("create_tweet") == 0 and slack.ephemerals == []


def shown_time(said: str) -> datetime:
    """The moment a thread message says a reply goes out or is tried again."""
    found = re.search(r"(?:go out|tried again) at (\d\d:\d\d) UTC(?: on (\d{4}-\d\d-\d\d))?", said)
    day = found.group(2) or datetime.now(UTC).strftime("%Y-%m-%d")
    return datetime.fromisoformat(f"{day}T{found.group(1)}+00:00")


def test_a_reply_past_the_apps_24_hour_limit_says_the_true_time_it_goes_out(slack, database_url):
    with FakeX(limits={"create_tweet_24h_app": (1, 86400)}) as x:
        bot = RunningBot(bot_env(slack, x, database_url), slack)
        try:
            _, card = claimed_case(bot, slack, x, x.add_user("maria_g"))
            say_and_wait_for_thread(bot, slack, card, "Refund sent today.", "Posted on X")

            [said] = say_and_wait_for_thread(bot, slack, card, "Anything else we can do?", "will go out at")
        finally:
            bot.stop()

    # X's 15-minute window has room; the app's 24-hour limit is what is used up, until a day after the first post.
    assert abs(shown_time(said) - (datetime.now(UTC) + timedelta(days=1))) < timedelta(minutes=3)
    assert [p["text"] for p in x.brand_posts()] == ["Refund sent today."]


def test_a_reply_meeting_a_usage_cap_waits_and_the_thread_is_told_once(bot, slack, x, customer):
    _, card = claimed_case(bot, slack, x, customer)
    x.refuse("create_tweet", "usage-capped")

    [said] = say_and_wait_for_thread(bot, slack, card, "We are on it.", "Not posted yet")
    bot.cycle()

    assert "X's monthly usage cap of the app's plan is reached" in said
    assert "“Usage cap exceeded: Monthly product cap”" in said and "then hourly until it goes out" in said
    assert abs(shown_time(said) - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=3)
    assert x.count("create_tweet") == 1, "not tried again before then"
    assert [t for t in thread_texts(slack, card) if "Not posted" in t] == [said]


def test_a_reply_meeting_spent_credits_is_kept_not_retried_in_a_loop(bot, slack, x, customer):
    _, card = claimed_case(bot, slack, x, customer)
    x.refuse("create_tweet", "credits-depleted")

    [said] = say_and_wait_for_thread(bot, slack, card, "We are on it.", "Not posted yet")
    bot.cycle()
    bot.cycle()

    assert "X's credits are used up" in said and "does not have any credits" in said
    assert x.count("create_tweet") == 1 and x.brand_posts() == []
