"""OVERFLOW_CHANNELS: while the inbox's backlog is longer than a minute at the chat's pace, new cases are dealt out to
the overflow channels too, each at its own pace; there a case is worked as in the inbox (its follow-ups in its thread,
claims, replies), a lost answer is found where the card went, and nothing is shown twice."""

import pytest

from tests.fakes import FakeSlack, SlackFaults
from tests.harness import buttons, cards, mirrored_ids, wait_until

OVERFLOW = ("C_OVER1", "C_OVER2")
LANES = ("C_INBOX", *OVERFLOW)


@pytest.fixture
def slack():
    with FakeSlack(channels=("C_INBOX", "C_DIGEST", *OVERFLOW)) as fake:
        yield fake


def burst(x, count: int) -> list[dict]:
    people = [x.add_user(f"fan{i}", f"Fan {i}", followers=i) for i in range(count)]
    return [(p, x.post(p["id"], f"@AcmeSupport where is my parcel, {p['username']}?")) for p in people]


def test_a_backlog_over_a_minute_is_dealt_out_to_the_overflow_channels_each_at_its_pace(make_bot, slack, x):
    slow = make_bot(MIRROR_RATE_PER_CHANNEL="1", OVERFLOW_CHANNELS="C_OVER1, C_OVER2")
    posts = burst(x, 70)  # 70 s at one a second in the inbox alone

    slow.bridge.cycle(mirror_for=2.5)

    first = {channel: [c["text"] for c in cards(slack, channel)] for channel in LANES}
    assert all(first.values()), f"every channel took a share: {first}"
    # by reach, dealt in turn: the most followed customer's card in the inbox, the next two in the overflow channels
    assert "@fan69" in first["C_INBOX"][0] and "@fan68" in first["C_OVER1"][0] and "@fan67" in first["C_OVER2"][0]
    assert sum(map(len, first.values())) > 3, "three channels show more than one"

    person, mention = next((p, m) for p, m in posts if p["username"] == "fan68")
    x.post(person["id"], "@AcmeSupport it is a blue box", in_reply_to=mention["id"])
    fast = make_bot(OVERFLOW_CHANNELS="C_OVER1,C_OVER2")  # the same database, a chat that keeps up
    fast.cycle()

    [card] = [c for c in cards(slack, "C_OVER1") if "@fan68" in c["text"]]
    assert "@fan68: @AcmeSupport it is a blue box" in [r["text"] for r in slack.replies("C_OVER1", card["ts"])]
    ids = mirrored_ids(slack, *LANES)
    assert sum(ids.values()) == len(ids) == 71, "every message shown once"
    assert sum(len(cards(slack, c)) for c in LANES) == 70

    fast.slack.click("UANA", "C_OVER1", card["ts"], "case_claim", buttons(card)["case_claim"])
    wait_until(lambda: "Claimed" in str(slack.message("C_OVER1", card["ts"])["blocks"]))
    fast.slack.say("UANA", "C_OVER1", "Found it, it ships today.", thread_ts=card["ts"])
    [reply] = wait_until(lambda: x.brand_posts())
    assert reply["text"] == "Found it, it ships today."
    assert reply["referenced_tweets"][0]["id"] != mention["id"]  # to the customer's latest post, the follow-up


def test_a_card_whose_answer_was_lost_in_an_overflow_channel_is_found_there_not_posted_again(make_bot, slack, x):
    slow = make_bot(MIRROR_RATE_PER_CHANNEL="1", OVERFLOW_CHANNELS="C_OVER1,C_OVER2")
    burst(x, 70)
    slack.faults = SlackFaults(rate=1.0, kinds=("drop_after",), methods=("chat.postMessage",))
    slow.bridge.cycle(mirror_for=0.5)  # posted, but the bot never heard so
    slack.faults = None
    lost = {c: len(cards(slack, c)) for c in LANES}
    assert lost["C_OVER1"] + lost["C_OVER2"] >= 1, f"a card went to an overflow channel: {lost}"

    make_bot(OVERFLOW_CHANNELS="C_OVER1,C_OVER2").cycle()

    ids = mirrored_ids(slack, *LANES)
    assert sum(ids.values()) == len(ids) == 70


def test_a_backlog_within_a_minute_stays_in_the_inbox(make_bot, slack, x):
    make_bot(OVERFLOW_CHANNELS="C_OVER1,C_OVER2").cycle()  # nothing waiting
    burst(x, 20)

    make_bot(MIRROR_RATE_PER_CHANNEL="1", OVERFLOW_CHANNELS="C_OVER1,C_OVER2").bridge.cycle(mirror_for=1.5)

    assert cards(slack, "C_OVER1") == cards(slack, "C_OVER2") == []
    assert cards(slack, "C_INBOX")
