"""The domain with two networks at once and no platform: a case belongs to the network its post came from, and
everything done for it (the card's links, the reply, its settling, a deletion) happens on that network only. Post
ids are opaque: an AT-URI flows through ingest, reply and settle as it came."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.bridge import Bridge, BridgeConfig
from bot.domain.notices import Person, said
from bot.domain.sources import AccountSource, Sources
from bot.domain.types import ChatMessage
from storage import replies
from storage.engine import make_engine
from tests.fakes.memory_chat import MemoryChat
from tests.fakes.network import FakeNetwork

AT_URI = "at://did:plc:abc/app.bsky.feed.post/3k"


class World:
    def __init__(self, database_url: str):
        self.now = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
        self.chat = MemoryChat()
        self.x = FakeNetwork("x", "X", handle="acme")
        self.b = FakeNetwork("b", "Bee", handle="acme.bee", max_length=20)
        sources = Sources([AccountSource("on-x", self.x, "C_X"), AccountSource("on-b", self.b, "C_B")])
        self.bridge = Bridge(
            make_engine(database_url),
            self.chat,
            sources.networks(),
            BridgeConfig(inbox_channel="C_X"),
            clock=lambda: self.now,
            sources=sources,
        )

    def only_card(self, channel: str):
        (key,) = [k for k in self.chat.cards if k[0] == channel]
        return key, self.chat.cards[key]

    def owner_replies(self, channel: str, text: str, user: str = "UANA") -> str:
        """The case's owner (claiming it first) types `text` in its thread; returns what became of it."""
        (_, thread_ts), card = self.only_card(channel)
        assert self.bridge.casework.claim(card.case_id, user).changed
        self.typed = ChatMessage(channel, f"{len(self.chat.told) + 90}.000200", thread_ts, user, text)
        return self.bridge.replies.receive(self.typed)


@pytest.fixture
def world(database_url):
    return World(database_url)


def test_a_case_on_network_b_is_shown_with_b_links_and_replied_on_b_never_on_x(world):
    world.b.mention("dana", "@acme.bee my parcel is lost", post_id=AT_URI)

    world.bridge.cycle()

    (_, card) = world.only_card("C_B")
    assert card.network == "Bee" and card.first_post_id == AT_URI
    assert card.post_url == world.b.post_url("dana", AT_URI) and card.profile_url == "https://b.example/dana"
    assert [k for k in world.chat.cards if k[0] == "C_X"] == []

    assert world.owner_replies("C_B", "Sorry, on it") == "reply"

    assert [(p.in_reply_to, p.text) for p in world.b.posted] == [(AT_URI, "Sorry, on it")]
    assert [c for c in world.x.calls if c[0] != "fetch"] == []  # X was only polled, never acted on
    (_, thread_ts), _ = world.only_card("C_B")
    (said,) = world.chat.texts_in_thread("C_B", thread_ts)
    who, link = said.parts[1:]  # the agent who answered, then the post's link, as plain text
    assert said.parts[0] == "Posted on Bee by " and who == Person("UANA") and world.b.posted[0].id in link


def test_each_network_counts_its_own_text_and_says_its_own_name(world):
    world.b.mention("dana", "@acme.bee hello", post_id=AT_URI)
    world.x.mention("erin", "@acme hello")
    world.bridge.cycle()
    long_text = "This answer is longer than twenty"

    assert world.owner_replies("C_B", long_text) == "refused"
    assert world.owner_replies("C_X", long_text) == "reply"

    refusal = next(text for channel, _, text in world.chat.told if channel == "C_B")
    assert f"it is {len(long_text)} characters, over the 20 Bee allows" in refusal
    assert world.b.posted == [] and [p.text for p in world.x.posted] == [long_text]


def test_an_at_uri_post_flows_through_ingest_reply_and_settle_once(world):
    world.b.mention("dana", "@acme.bee where is my order?", post_id=AT_URI)
    world.bridge.cycle()
    world.b.lose_next_answer = True  # the reply goes out, its answer is lost

    world.owner_replies("C_B", "Checking now")
    world.now += timedelta(seconds=world.bridge.config.settle_seconds + 1)
    settled = world.bridge.replies.settle_unfinished()

    assert settled == 1
    assert [(p.in_reply_to, p.text) for p in world.b.posted] == [(AT_URI, "Checking now")]  # posted once
    (_, thread_ts), _ = world.only_card("C_B")
    assert [t.parts[:2] for t in world.chat.texts_in_thread("C_B", thread_ts)] == [
        ("Posted on Bee by ", Person("UANA"))
    ]
    # The cursor is the AT-URI as it came: the next poll asks for what is newer than it, and stores nothing twice.
    world.b.calls.clear()
    assert world.bridge.ingest.poll() == 0
    assert world.b.calls == [("fetch", AT_URI)]


def test_a_deleted_reply_is_deleted_on_its_own_network(world):
    world.b.mention("dana", "@acme.bee hi", post_id=AT_URI)
    world.bridge.cycle()
    world.owner_replies("C_B", "Hello!")
    (posted,) = world.b.posted
    with world.bridge.session() as s:
        reply = replies.reply_for_chat_message(s, channel="C_B", message_id=world.typed.message_id)

    outcome = world.bridge.changes.delete_on_network(reply.id, "UANA")

    assert outcome.changed and world.b.deleted == [posted.id] and world.x.deleted == []
    (_, thread_ts), _ = world.only_card("C_B")
    assert said("Deleted on Bee by ", Person("UANA"), ".") in world.chat.texts_in_thread("C_B", thread_ts)
