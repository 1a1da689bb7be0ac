"""Each crash window, replayed deterministically: what the next cycle or process finds, it makes good, once."""

import subprocess
import sys

import pytest
import requests
from sqlmodel import select

from storage.models import Event
from tests.fakes import SlackDriver, SlackFaults, XFaults
from tests.harness import (
    SIGNING_SECRET,
    bot_env,
    buttons,
    card_text,
    cards,
    click,
    free_port,
    process_env,
    wait_until,
)


def test_a_card_posted_whose_answer_was_lost_is_found_not_posted_again(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport my order")
    slack.faults = SlackFaults(rate=1.0, kinds=("drop_after",), methods=("chat.postMessage",))
    bot.cycle()
    [card] = cards(slack)  # it is in Slack, but the bridge never heard so
    slack.faults = None
    click(bot, "UANA", card, "case_claim")  # an agent claims from the very card the bridge did not record
    bot.settle()

    bot.cycle()

    assert len(cards(slack)) == 1
    assert "<@UANA>" in card_text(slack.message("C_INBOX", card["ts"])), "the card is redrawn with its owner"


def test_a_thread_post_whose_answer_was_lost_is_not_posted_again(bot, slack, x, customer):
    first = x.post(customer["id"], "@AcmeSupport hello")
    bot.cycle()
    x.post(customer["id"], "@AcmeSupport anyone?", in_reply_to=first["id"])
    slack.faults = SlackFaults(rate=1.0, kinds=("drop_after",), methods=("chat.postMessage",))
    bot.cycle()
    slack.faults = None

    bot.cycle()

    [card] = cards(slack)
    assert [m["text"] for m in slack.replies("C_INBOX", card["ts"])].count("@maria_g: @AcmeSupport anyone?") == 1


def claimed_case(make_bot, slack, x, customer):
    """A bot that settles unfinished replies after 2 s, and a case Ana claimed."""
    bot = make_bot(REPLY_SETTLE_SECONDS="2", X_TIMEOUT_SECONDS="1")
    x.post(customer["id"], "@AcmeSupport refund?")
    bot.cycle()
    card = cards(slack)[0]
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(slack.message("C_INBOX", card["ts"])))
    return bot, card


@pytest.mark.parametrize(
    "typed, posted",
    [
        ("Your refund is on its way.", "Your refund is on its way."),
        # What Slack delivers when Ana types "Q&A: refunds take <5 days> & more"; X answers it as "Q&amp;A…".
        ("Q&amp;A: refunds take &lt;5 days&gt; &amp; more", "Q&A: refunds take <5 days> & more"),
    ],
)
def test_a_reply_whose_answer_was_lost_is_settled_on_x_not_sent_twice(make_bot, slack, x, customer, typed, posted):
    bot, card = claimed_case(make_bot, slack, x, customer)
    x.faults = XFaults(rate=1.0, kinds=("drop_after",), endpoints=("create_tweet",))

    bot.slack.say("UANA", "C_INBOX", typed, thread_ts=card["ts"])
    wait_until(lambda: x.brand_posts())
    x.faults = None
    # Once REPLY_SETTLE_SECONDS have passed, the reply left 'sending' is looked for on X.
    wait_until(bot.bridge.replies.settle_unfinished, timeout=60, interval=0.2)

    assert [p["text"] for p in x.brand_posts()] == [posted]
    assert x.count("create_tweet") == 1, "found on X, not sent again"
    wait_until(lambda: any("Posted on X" in m["text"] for m in slack.replies("C_INBOX", card["ts"])))
    assert not any("Not posted" in m["text"] for m in slack.replies("C_INBOX", card["ts"]))


def test_a_reply_that_failed_before_reaching_x_is_sent_after_settling(make_bot, slack, x, customer):
    bot, card = claimed_case(make_bot, slack, x, customer)
    x.faults = XFaults(rate=1.0, kinds=("drop",), endpoints=("create_tweet",))

    bot.slack.say("UANA", "C_INBOX", "Checking your refund now.", thread_ts=card["ts"])
    wait_until(lambda: x.count("create_tweet") == 1)
    x.faults = None
    wait_until(bot.bridge.replies.settle_unfinished, timeout=60, interval=0.2)

    assert [p["text"] for p in x.brand_posts()] == ["Checking your refund now."]


def test_a_reply_recorded_just_before_a_crash_is_sent_by_the_next_process(make_bot, slack, x, customer):
    from bot.domain.types import ChatMessage

    bot = make_bot()
    x.post(customer["id"], "@AcmeSupport hi")
    bot.cycle()
    card = cards(slack)[0]
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(slack.message("C_INBOX", card["ts"])))
    human = slack.add_human_message("C_INBOX", "UANA", "Hello! How can we help?", thread_ts=card["ts"])
    bot.bridge.replies.record(ChatMessage("C_INBOX", human["ts"], card["ts"], "UANA", human["text"]))
    bot.stop()  # the process dies after Slack got its 200, before X was called

    make_bot().cycle()

    assert [p["text"] for p in x.brand_posts()] == ["Hello! How can we help?"]


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_a_click_answered_then_cut_short_by_a_kill_is_finished_by_the_worker(
    tmp_path, make_bot, slack, x, customer, database_url
):
    slack.add_usergroup("SAGENTS", "agents", ["UANA"])
    port = free_port()
    settings = {"AGENT_USERGROUP": "SAGENTS", "REPLY_SETTLE_SECONDS": "2", "X_TIMEOUT_SECONDS": "1"}
    worker = make_bot(**settings)  # its cycle is the worker's
    x.post(customer["id"], "@AcmeSupport my order is late")
    worker.cycle()
    [card] = cards(slack)
    env = process_env(bot_env(slack, x, database_url, PORT=port, **settings))
    with open(tmp_path / "web.log", "w") as log:
        web = subprocess.Popen([sys.executable, "-m", "bot", "web"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _up(f"http://127.0.0.1:{port}/healthz"), timeout=30)
        slack_hangs = slack.stall("usergroups.users.list")  # the click's work waits on Slack, after the ack
        driver = SlackDriver(slack, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)

        answered = driver.click("UANA", "C_INBOX", card["ts"], "case_claim", buttons(card)["case_claim"])

        assert answered.status == 200
        wait_until(lambda: slack.count("usergroups.users.list") == 1)
    finally:
        web.kill()  # SIGKILL: the click's work dies half-way
        web.wait()
    slack_hangs.set()

    def finished():
        worker.cycle()
        return "<@UANA>" in card_text(slack.message("C_INBOX", card["ts"]))

    wait_until(finished, timeout=20, interval=0.5)
    with worker.bridge.session() as s:
        assert [(e.kind, e.actor) for e in s.exec(select(Event).where(Event.kind == "claim"))] == [("claim", "UANA")]
