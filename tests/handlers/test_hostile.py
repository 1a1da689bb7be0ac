"""Hostile input, thrown by hypothesis at the real app over HTTP: no unhandled exception, a clear answer, no change."""

import json
import logging
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from bot.chats.slack.text import to_plain
from storage.models import Case, Event, Message
from tests.harness import cards, click, wait_until

PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
odd_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50).map(lambda s: s * 200),
    st.sampled_from(["\u202e\u202dreversed", "\ufeff\ufffe", "<!channel> <@U1|x> &amp;&lt;", "\x00\x01", "𝕏" * 3000]),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40))
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


@pytest.fixture
def stored_state(bot):
    def snapshot():
        with bot.bridge.session() as s:
            return tuple(s.exec(select(func.count()).select_from(model)).one() for model in (Case, Message, Event))

    return snapshot


@pytest.fixture
def listener_failures(caplog):
    caplog.set_level(logging.ERROR, logger="handlers.slack.errors")
    return lambda: [r for r in caplog.records if r.name == "handlers.slack.errors"]


@PROPERTY
@given(
    event=st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["message", "app_mention", "reaction_added"]) | st.text(max_size=10),
            "channel": json_value,
            "user": json_value,
            "text": odd_text | json_value,
            "ts": json_value,
            "thread_ts": json_value,
            "subtype": st.sampled_from(["message_changed", "bot_message", "weird"]) | json_value,
        },
    )
)
def test_malformed_events_change_nothing(bot, stored_state, listener_failures, event):
    before = stored_state()
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "event_id": "Ev_HOSTILE",
            "event": event,
        }
    ).encode()
    delivery = bot.slack.post_raw(body, content_type="application/json")
    assert delivery.status in (200, 400, 404)
    assert stored_state() == before
    assert not listener_failures()


@PROPERTY
@given(
    action_id=st.sampled_from(["case_claim", "case_resolve", "case_unclaim", "case_reopen"]),
    value=json_value,
    user=json_value,
)
def test_malformed_button_payloads_change_nothing(bot, stored_state, listener_failures, action_id, value, user):
    before = stored_state()
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T0TEST"},
        "api_app_id": "A0TEST",
        "container": {"type": "message", "channel_id": "C_INBOX", "message_ts": "1.1"},
        "channel": {"id": "C_INBOX"},
        "response_url": bot.slack.fake.response_url_base + "h",
        "trigger_id": "t",
        "actions": [
            {"action_id": action_id, "block_id": "case_actions", "value": value, "type": "button", "action_ts": "1.2"}
        ],
    }
    delivery = bot.slack.post_raw(
        urlencode({"payload": json.dumps(payload)}).encode(), content_type="application/x-www-form-urlencoded"
    )
    assert delivery.status in (200, 400, 404)
    assert stored_state() == before
    assert not listener_failures()


@PROPERTY
@given(text=odd_text)
def test_slash_command_arguments_get_a_plain_answer(bot, listener_failures, text):
    before = len(bot.slack.fake.responses)
    delivery = bot.slack.command("UANA", "/social-stats", text)
    assert delivery.status == 200
    answer = (
        delivery.body if delivery.body.strip() else wait_until(lambda: bot.slack.fake.responses[before:])[0]["text"]
    )
    assert answer.strip() and "Traceback" not in answer
    assert not listener_failures()


@pytest.fixture
def owned_card(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport hostile thread")
    bot.cycle()
    card = cards(slack)[0]
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in json.dumps(slack.message("C_INBOX", card["ts"])["blocks"]))
    return card


@PROPERTY
@given(text=odd_text)
def test_odd_and_huge_replies_are_posted_exactly_or_refused_plainly(bot, slack, x, owned_card, listener_failures, text):
    expected = to_plain(text).strip()
    notices_before = len(slack.ephemerals)
    refusals_before = len([m for m in slack.replies("C_INBOX", owned_card["ts"]) if "Not posted" in m["text"]])
    delivery = bot.slack.say("UANA", "C_INBOX", text, thread_ts=owned_card["ts"])
    assert delivery.status == 200

    def settled():
        refusals = [m for m in slack.replies("C_INBOX", owned_card["ts"]) if "Not posted" in m["text"]]
        return (
            expected in {p["text"] for p in x.brand_posts()}
            or len(slack.ephemerals) > notices_before
            or len(refusals) > refusals_before
        )

    wait_until(settled)
    SENT.add(expected)
    assert {p["text"] for p in x.brand_posts()} <= SENT, "a reply went out other than as typed"
    assert not listener_failures()


SENT: set[str] = set()
