"""The domain without a platform: a RecordingChat stands for the chat, the X stand-in for the network, and the
tests read what the domain told whom (the calls of the Chat port), not what Slack would show."""

from datetime import timedelta

import pytest

from bot.domain.bridge import Bridge, BridgeConfig
from bot.domain.clock import utcnow
from bot.domain.notices import Person, SlaAlert, SlaStage, said
from bot.domain.types import ChatMessage
from bot.networks.x import settings as x_settings
from bot.settings import from_env
from storage.engine import make_engine
from tests.fakes import RecordingChat
from tests.harness import bot_env


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def world(slack, x, customer, database_url):
    engine = make_engine(database_url)
    chat, clock = RecordingChat(), Clock()
    network = x_settings.build_network(from_env(bot_env(slack, x, database_url)))
    bridge = Bridge(engine, chat, {network.name: network}, BridgeConfig(inbox_channel="C_INBOX", sla_minutes=30), clock)
    x.post(customer["id"], "@AcmeSupport my parcel never came")
    bridge.ingest.poll()
    bridge.mirror.run_once()
    [card] = chat.of("post_card")
    yield bridge, chat, clock, card.what.case_id, card.id
    engine.dispose()


def typed(thread: str, user: str, text: str) -> ChatMessage:
    """A message `user` typed in the case's thread."""
    return ChatMessage("C_INBOX", "1800000000.000101", thread, user, text)


def test_the_loser_of_a_claim_race_is_told_who_owns_the_case(world):
    bridge, _, _, case_id, _ = world

    won = bridge.casework.claim(case_id, "UANA")
    lost = bridge.casework.claim(case_id, "UBEN")

    assert won.changed and not lost.changed
    assert lost.notice == said("This case is already claimed by ", Person("UANA"), ". Nothing was changed.")


def test_a_case_handed_over_is_told_to_its_new_owner_naming_who_handed_it(world):
    bridge, chat, _, case_id, thread = world
    bridge.casework.claim(case_id, "UANA")

    handed = bridge.casework.reassign(case_id, "UANA", "UBEN")

    assert handed.changed and handed.notice is None
    [told] = chat.of("tell")
    assert (told.user, told.thread, chat.people_named("tell")) == ("UBEN", thread, ["UANA"])
    assert told.what == said(
        Person("UANA"),
        " handed you the case of @maria_g: it is yours now. Reply in its thread to answer on X.",
    )


def test_a_reply_too_long_is_refused_with_the_count_and_nothing_is_sent(world, x):
    bridge, chat, _, case_id, thread = world
    bridge.casework.claim(case_id, "UANA")

    verdict = bridge.replies.receive(typed(thread, "UANA", "a" * 281))

    assert verdict == "refused"
    told = chat.of("tell")
    assert [(c.user, c.thread) for c in told] == [("UANA", thread)]
    assert told[0].what == (
        "Not posted: it is 281 characters as X counts them, over the limit of 280 by 1: shorten it. Nothing was sent."
    )
    assert x.posts_by("AcmeSupport") == []


def test_a_reply_posted_gets_the_link_notice_in_its_thread(world, x):
    bridge, chat, _, case_id, thread = world
    bridge.casework.claim(case_id, "UANA")

    verdict = bridge.replies.receive(typed(thread, "UANA", "So sorry! A new one ships today."))

    assert verdict == "reply"
    [posted] = x.posts_by("AcmeSupport")
    in_thread = chat.of("say_in_thread")
    assert [c.thread for c in in_thread] == [thread]
    first, who, link = in_thread[0].what.parts  # what the chat shows: words, the agent named, the post's link as text
    assert (first, who) == ("Posted on X by ", Person("UANA")) and link.endswith(f"/status/{posted['id']}")


def test_a_breach_is_one_typed_alert_naming_the_case_its_owner_and_the_wait(world):
    bridge, chat, clock, case_id, _ = world
    bridge.casework.claim(case_id, "UANA")
    clock.now = utcnow() + timedelta(minutes=45)  # the customer wrote before this test began

    bridge.alerts.run_once()
    bridge.alerts.run_once()

    [alert] = chat.said("alert")  # said once, however often the alerts run
    assert isinstance(alert, SlaAlert)
    assert (alert.case_id, alert.stage, alert.target_minutes, alert.owner, alert.customer_handle) == (
        case_id,
        SlaStage.BREACHED,
        30,
        "UANA",
        "maria_g",
    )
    assert alert.minutes >= 45
