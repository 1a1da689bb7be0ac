"""Slack's per-channel limit used in full: a refused post teaches the pacer; channels are mirrored side by side."""

import pytest
from sqlmodel import Session, create_engine, update

from bot.chats.slack.chat import ChannelPacer
from storage.models import Case
from tests.fakes import FakeSlack
from tests.harness import RunningBot, bot_env, cards


class Clock:
    """The pacer's clock and sleep: time passes only when the pacer sleeps or the test says so."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def pacer(clock: Clock) -> ChannelPacer:
    return ChannelPacer(rate=10, clock=clock.monotonic, sleep=clock.sleep)  # one post per 0.1 s


def answered_late() -> tuple[ChannelPacer, Clock]:
    """A pacer whose one post was answered after more than an interval."""
    clock = Clock()
    paced = pacer(clock)
    sent = paced.wait("C1")
    clock.now += 0.25  # held back, as by a 429 that slack_sdk waited out
    paced.answered("C1", sent)
    return paced, clock


def test_a_post_answered_late_spaces_the_next_from_its_answer():
    paced, clock = answered_late()

    before = clock.now
    paced.wait("C1")

    assert clock.now - before == pytest.approx(0.1), "spaced from the late answer, not from the long-past slot"


def test_quick_answers_keep_the_pace_of_the_sending():
    clock = Clock()
    paced = pacer(clock)
    started = clock.now
    for _ in range(5):
        sent = paced.wait("C1")
        paced.answered("C1", sent)
    assert clock.now - started == pytest.approx(0.4), "five posts take four intervals, not five plus answers"


def posts_take(paced: ChannelPacer, clock: Clock, count: int, *, round_trip: float) -> float:
    """How long `count` posts take to go out, each answered `round_trip` after it was sent."""
    started = last = clock.now
    for _ in range(count):
        sent = paced.wait("C1")
        last = clock.now
        clock.now += round_trip
        paced.answered("C1", sent)
    return last - started


def test_after_a_late_answer_posts_are_spaced_from_answers_until_the_channel_was_quiet():
    paced, clock = answered_late()

    assert posts_take(paced, clock, 5, round_trip=0.02) == pytest.approx(0.1 + 4 * 0.12), "a round trip each"

    clock.now += 30 * 0.1  # nothing posted in the channel for 30 intervals: Slack's allowance is whole again
    assert posts_take(paced, clock, 5, round_trip=0.02) == pytest.approx(4 * 0.1), "spaced from the sending again"


def test_after_one_refusal_a_strict_channel_is_never_refused_again(x, database_url, customer):
    # No burst at all: a post a hair under a second after the previous one is refused.
    with FakeSlack(post_rate_per_channel=1.0, burst=1) as strict:
        bot = RunningBot(bot_env(strict, x, database_url, MIRROR_RATE_PER_CHANNEL="1"), strict)
        try:
            for i in range(6):
                x.post(customer["id"], f"@AcmeSupport question {i}")
            bot.cycle()
        finally:
            bot.stop()
        assert len(cards(strict)) == 6
        assert strict.rate_limited <= 1


def test_channels_are_mirrored_side_by_side(x, database_url, customer):
    with FakeSlack(channels=("C_INBOX", "C_DIGEST", "C_OTHER"), post_rate_per_channel=1.0, burst=2) as slack:
        bot = RunningBot(bot_env(slack, x, database_url, MIRROR_RATE_PER_CHANNEL="1"), slack)
        try:
            for i in range(6):
                x.post(customer["id"], f"@AcmeSupport question {i}")
            bot.bridge.ingest.poll()
            engine = create_engine(database_url)
            with Session(engine) as s:
                s.exec(update(Case).where(Case.id % 2 == 0).values(channel="C_OTHER"))
                s.commit()
            engine.dispose()
            mirrored = bot.bridge.mirror.run_once()
        finally:
            bot.stop()
        assert mirrored == 6
        assert len(cards(slack, "C_INBOX")) == 3 and len(cards(slack, "C_OTHER")) == 3
        assert slack.rate_limited == 0
        # One channel after the other would post all of one channel's cards first. Side by side, the other
        # channel's first card goes out while the first channel waits its two seconds for its third.
        order = [post["channel"] for post in slack.all_posts() if post["channel"] in ("C_INBOX", "C_OTHER")]
        last = {channel: len(order) - 1 - order[::-1].index(channel) for channel in ("C_INBOX", "C_OTHER")}
        assert order.index("C_OTHER") < last["C_INBOX"] and order.index("C_INBOX") < last["C_OTHER"], order
