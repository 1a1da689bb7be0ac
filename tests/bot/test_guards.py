"""Guards: who may act, duplicate clicks, gaps in X's window, claim races, old delivery keys."""

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.domain.notices import Person, said
from storage import deliveries
from storage.models import Event, SeenDelivery
from tests.harness import buttons, card_text, cards, click, wait_until


def test_only_allowed_agents_may_claim_or_reply(make_bot, slack, x, customer):
    bot = make_bot(ALLOWED_AGENTS="UANA, UBEN")
    x.post(customer["id"], "@AcmeSupport help please")
    bot.cycle()
    card = cards(slack)[0]

    click(bot, "UMALLORY", card, "case_claim")
    [notice] = wait_until(lambda: slack.responses)
    assert "not one of them" in notice["text"]
    assert "Open" in card_text(slack.message("C_INBOX", card["ts"]))

    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(slack.message("C_INBOX", card["ts"])))
    bot.slack.say("UMALLORY", "C_INBOX", "I'll answer!", thread_ts=card["ts"])
    [told] = wait_until(lambda: slack.ephemerals)
    assert told["user"] == "UMALLORY" and "not one of them" in told["text"]
    assert x.brand_posts() == []


def test_agents_can_be_a_user_group(make_bot, slack, x, customer):
    slack.add_usergroup("S_AGENTS", "care-team", ["UANA"])
    bot = make_bot(AGENT_USERGROUP="S_AGENTS")
    x.post(customer["id"], "@AcmeSupport hola")
    bot.cycle()
    card = cards(slack)[0]

    click(bot, "UBEN", card, "case_claim")
    wait_until(lambda: slack.responses)
    click(bot, "UANA", card, "case_claim")

    wait_until(lambda: "<@UANA>" in card_text(slack.message("C_INBOX", card["ts"])))
    with bot.bridge.session() as s:
        assert [(e.kind, e.actor) for e in s.exec(select(Event))] == [("claim", "UANA")]


def test_a_click_delivered_twice_changes_nothing_twice(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport double click")
    bot.cycle()
    card = cards(slack)[0]

    first = click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(slack.message("C_INBOX", card["ts"])))

    again = bot.slack.redeliver(first)  # Slack's retry: the same payload
    assert again.status == 200
    click(bot, "UANA", card, "case_claim")  # a second click of her own, after the repeat of the first
    wait_until(lambda: slack.responses)

    bot.stop()  # every listener at work finishes
    with bot.bridge.session() as s:
        assert len(s.exec(select(Event)).all()) == 1
    assert [r["text"] for r in slack.responses] == ["You already own this case."], "the repeat said nothing"


def test_one_hundred_simultaneous_claims_have_one_winner(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport race")
    bot.cycle()
    case_id = int(buttons(cards(slack)[0])["case_claim"])
    outcomes = []
    barrier = threading.Barrier(100)

    def claim(agent):
        barrier.wait()
        outcomes.append((agent, bot.bridge.casework.claim(case_id, agent)))

    threads = [threading.Thread(target=claim, args=(f"U{i:03d}",)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    winners = [agent for agent, outcome in outcomes if outcome.changed]
    assert len(winners) == 1
    losers = [outcome.notice for agent, outcome in outcomes if not outcome.changed]
    told = said("This case is already claimed by ", Person(winners[0]), ". Nothing was changed.")
    assert len(losers) == 99 and all(n == told for n in losers)
    with bot.bridge.session() as s:
        assert [e.actor for e in s.exec(select(Event).where(Event.kind == "claim"))] == winners


@pytest.mark.slow  # 851 cards mirrored
def test_a_gap_in_xs_window_is_said_in_the_inbox_with_its_time_range(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport before the outage")
    bot.cycle()
    for i in range(850):
        x.post(customer["id"], f"@AcmeSupport while the bridge was away {i}")

    bot.cycle()
    bot.cycle()

    notices = [m for m in slack.messages("C_INBOX") if "may be missing" in m.get("text", "")]
    assert len(notices) == 1, "said once"
    assert "between" in notices[0]["text"] and "UTC" in notices[0]["text"] and "800" in notices[0]["text"]


def test_no_gap_is_reported_for_a_normal_poll(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport hi")
    bot.cycle()
    x.post(customer["id"], "@AcmeSupport hi again")
    bot.cycle()
    assert not [m for m in slack.messages("C_INBOX") if "may be missing" in m.get("text", "")]


def test_delivery_keys_are_kept_a_day_then_forgotten(bot):
    now = bot.bridge.clock()
    with bot.bridge.session() as s:
        deliveries.remember(s, keys=["event:old"], at=now - timedelta(hours=49))
        deliveries.remember(s, keys=["event:recent"], at=now - timedelta(hours=23))

    bot.bridge.forget_old_deliveries()

    with bot.bridge.session() as s:
        assert [d.key for d in s.exec(select(SeenDelivery))] == ["event:recent"]
