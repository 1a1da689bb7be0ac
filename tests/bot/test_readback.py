"""Thread messages Slack never delivered (it gave up after its retries, or dropped them while it rate-limited the app)
are found by reading the case threads back, and handled by the same rules, once; a reply found so is sent only when
its owner says so."""

import logging

import pytest
from sqlmodel import select

from storage.models import Event
from tests.harness import buttons, card_text, cards, click, wait_until


@pytest.fixture
def reader(make_bot):
    """A bot that reads back what Slack has not delivered at once (the default waits for Slack's retries: 6 minutes)."""
    return make_bot(THREAD_READBACK_AFTER_SECONDS="0")


def claimed_card(bot, slack, x, customer, owner="UANA"):
    x.post(customer["id"], "@AcmeSupport where is my refund?")
    bot.cycle()
    card = cards(slack)[-1]
    click(bot, owner, card, "case_claim")
    wait_until(lambda: f"<@{owner}>" in card_text(slack.message("C_INBOX", card["ts"])))
    return card


def questions(slack, user):
    return [e for e in slack.ephemerals if e["user"] == user and e.get("blocks") and "did not deliver" in e["text"]]


def button(question, action_id):
    for block in question["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return block["block_id"], element
    raise AssertionError(f"no {action_id} button in {question['text']!r}")


def press(bot, question, action_id, user="UANA"):
    block_id, element = button(question, action_id)
    return bot.slack.click_ephemeral(user, "C_INBOX", element, block_id=block_id, thread_ts=question["thread_ts"])


def test_app_rate_limited_is_answered_and_said_in_the_log(bot, caplog):
    caplog.set_level(logging.WARNING, logger="handlers.slack.events")

    notice = bot.slack.app_rate_limited(minute=1_800_000_000)

    assert notice.status == 200
    assert "rate limiting this app's events since 2027-01-15 08:00 UTC" in caplog.text


def test_a_reply_slack_never_delivered_is_found_and_sent_once_its_owner_says_so(reader, slack, x, customer):
    card = claimed_card(reader, slack, x, customer)
    reader.slack.say("UANA", "C_INBOX", "Checking with the courier now.", thread_ts=card["ts"])
    wait_until(lambda: [p["text"] for p in x.brand_posts()] == ["Checking with the courier now."])
    lost = reader.slack.say("UANA", "C_INBOX", "Your refund went out today.", thread_ts=card["ts"], deliver=False)
    assert not lost.delivered

    reader.cycle()

    [question] = questions(slack, "UANA")
    assert "“Your refund went out today.”" in question["text"] and question["thread_ts"] == card["ts"]
    assert [p["text"] for p in x.brand_posts()] == ["Checking with the courier now."], "nothing goes out unasked"
    assert press(reader, question, "reply_send_late").status == 200
    wait_until(lambda: "Your refund went out today." in [p["text"] for p in x.brand_posts()])
    wait_until(lambda: sum("Posted on X" in m["text"] for m in slack.replies("C_INBOX", card["ts"])) == 2)

    assert reader.slack.redeliver(lost).status == 200  # Slack delivers it after all, late
    reader.cycle()  # and the thread is read back again
    reader.settle()  # every listener at work finished
    posted = sorted(p["text"] for p in x.brand_posts())
    assert posted == ["Checking with the courier now.", "Your refund went out today."]
    assert len(questions(slack, "UANA")) == 1


def test_events_dropped_while_slack_rate_limits_the_app_are_found_and_judged_by_the_same_rules(
    reader, slack, x, customer
):
    card = claimed_card(reader, slack, x, customer)
    with reader.slack.events_rate_limited() as notice:
        reader.slack.say("UANA", "C_INBOX", "We are sorry for the wait.", thread_ts=card["ts"])
        reader.slack.say("UANA", "C_INBOX", "note: courier says Friday", thread_ts=card["ts"])
        reader.slack.say("UBEN", "C_INBOX", "I can take it if you are busy", thread_ts=card["ts"])
    assert notice.status == 200

    reader.cycle()

    [question] = questions(slack, "UANA")
    assert "“We are sorry for the wait.”" in question["text"]
    assert questions(slack, "UBEN") == []
    with reader.bridge.session() as s:
        notes = [e.detail for e in s.exec(select(Event).where(Event.kind == "note").order_by(Event.id))]
    assert notes == ["note: courier says Friday", "I can take it if you are busy"]
    assert press(reader, question, "reply_drop_late").status == 200
    told = wait_until(lambda: [r for r in slack.responses if (r.get("text") or "").startswith("Not sent")])
    assert "stays in the thread, internal" in told[0]["text"]
    reader.settle()
    assert x.brand_posts() == []


def test_a_message_found_late_in_an_unclaimed_case_is_said_to_have_stayed_internal(reader, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport hello?")
    reader.cycle()
    [card] = cards(slack)
    reader.slack.say("UANA", "C_INBOX", "On it", thread_ts=card["ts"], deliver=False)

    reader.cycle()

    [told] = [e for e in slack.ephemerals if e["user"] == "UANA"]
    assert told["text"].startswith("Slack did not deliver your message “On it” to the bridge when you sent it.")
    assert "not claimed, so your message stayed internal" in told["text"]
    assert questions(slack, "UANA") == []


def test_a_reply_found_late_is_sent_only_if_its_author_still_owns_the_case(reader, slack, x, customer):
    card = claimed_card(reader, slack, x, customer)
    reader.slack.say("UANA", "C_INBOX", "Refund sent!", thread_ts=card["ts"], deliver=False)
    reader.cycle()
    [question] = questions(slack, "UANA")
    click(reader, "UANA", slack.message("C_INBOX", card["ts"]), "case_unclaim")
    wait_until(lambda: "case_claim" in buttons(slack.message("C_INBOX", card["ts"])))

    press(reader, question, "reply_send_late")

    told = wait_until(lambda: [r for r in slack.responses if (r.get("text") or "").startswith("Not sent")])
    assert "not claimed" in told[0]["text"]
    reader.settle()
    assert x.brand_posts() == []


def test_threads_are_read_back_a_few_at_a_time(reader, slack, x):
    for i in range(8):
        x.post(x.add_user(f"cust{i}", f"Customer {i}")["id"], f"@AcmeSupport problem {i}")

    reader.cycle()

    assert len(cards(slack)) == 8
    assert 1 <= slack.count("conversations.replies") <= 5
