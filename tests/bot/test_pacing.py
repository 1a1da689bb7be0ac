"""Slack's per-channel limit used in full: a refused post teaches the pacer; channels are mirrored side by side."""

import time

from sqlmodel import Session, create_engine, update

from bot.slack_chat import ChannelPacer
from storage.models import Case
from tests.fakes import FakeSlack
from tests.harness import RunningBot, bot_env, cards


def test_a_post_answered_late_spaces_the_next_from_its_answer():
    pacer = ChannelPacer(rate=10)  # one post per 0.1 s
    sent = pacer.wait("C1")
    time.sleep(0.25)  # held back, as by a 429 that slack_sdk waited out
    pacer.answered("C1", sent)

    before = time.monotonic()
    pacer.wait("C1")

    assert time.monotonic() - before >= 0.09, "spaced from the late answer, not from the long-past slot"


def test_quick_answers_keep_the_pace_of_the_sending():
    pacer = ChannelPacer(rate=10)
    started = time.monotonic()
    for _ in range(5):
        sent = pacer.wait("C1")
        pacer.answered("C1", sent)
    assert time.monotonic() - started < 0.45 + 0.05, "five posts take four intervals, not five plus answers"


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
            started = time.monotonic()
            mirrored = bot.bridge.mirror.run_once()
            elapsed = time.monotonic() - started
        finally:
            bot.stop()
        assert mirrored == 6
        assert len(cards(slack, "C_INBOX")) == 3 and len(cards(slack, "C_OTHER")) == 3
        assert slack.rate_limited == 0
        assert elapsed < 3.5, "three posts a channel at one a second, both channels at once: about two seconds"
