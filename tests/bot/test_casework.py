"""Claim, Unclaim, Resolve, Reopen from the card's buttons."""

import threading

from tests.harness import buttons, card_text, cards, click, wait_until


def open_case(bot, slack, x, customer, text="@AcmeSupport my card was charged twice"):
    post = x.post(customer["id"], text)
    bot.cycle()
    return post, cards(slack)[-1]


def fresh(slack, card):
    return slack.message("C_INBOX", card["ts"])


def test_claim_shows_the_owner_and_offers_unclaim_and_resolve(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)

    delivery = click(bot, "UANA", card, "case_claim")

    assert delivery.status == 200
    card = wait_until(lambda: (c := fresh(slack, card)) and "Claimed" in card_text(c) and c)
    assert "<@UANA>" in card_text(card)
    assert set(buttons(card)) == {"case_unclaim", "case_resolve"}


def test_the_loser_of_a_claim_is_told_privately_who_owns_it(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(fresh(slack, card)))

    click(bot, "UBEN", card, "case_claim")

    notice = wait_until(lambda: [r for r in slack.responses if "already claimed" in r.get("text", "")])
    assert "<@UANA>" in notice[0]["text"]
    assert notice[0].get("response_type") == "ephemeral"
    assert "<@UANA>" in card_text(fresh(slack, card))


def test_simultaneous_claims_have_one_winner(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)
    agents = [f"UAGENT{i}" for i in range(20)]
    threads = [threading.Thread(target=click, args=(bot, a, card, "case_claim")) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    losers = wait_until(
        lambda: (r := [r for r in slack.responses if "already claimed" in r["text"]]) and len(r) == 19 and r
    )
    owner = losers[0]["text"].split("<@")[1].split(">")[0]
    assert owner in agents
    assert all(f"<@{owner}>" in r["text"] for r in losers)
    wait_until(lambda: f"<@{owner}>" in card_text(fresh(slack, card)))


def test_unclaim_and_resolve_belong_to_the_owner(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(fresh(slack, card)))
    card = fresh(slack, card)

    click(bot, "UBEN", card, "case_resolve")
    wait_until(lambda: any("already claimed by <@UANA>" in r["text"] for r in slack.responses))
    assert "Claimed" in card_text(fresh(slack, card))

    click(bot, "UANA", card, "case_unclaim")
    card = wait_until(lambda: (c := fresh(slack, card)) and "Open" in card_text(c) and c)
    assert set(buttons(card)) == {"case_claim", "case_resolve"}


def test_resolve_then_a_new_customer_post_reopens(bot, slack, x, customer):
    post, card = open_case(bot, slack, x, customer)
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(fresh(slack, card)))
    click(bot, "UANA", fresh(slack, card), "case_resolve")
    card = wait_until(lambda: (c := fresh(slack, card)) and "Resolved" in card_text(c) and c)
    assert "by <@UANA>" in card_text(card)
    assert set(buttons(card)) == {"case_reopen"}

    x.post(customer["id"], "@AcmeSupport it happened again", in_reply_to=post["id"])
    bot.cycle()

    card = fresh(slack, card)
    assert "Reopened" in card_text(card)
    assert set(buttons(card)) == {"case_claim", "case_resolve"}
    assert "it happened again" in slack.replies("C_INBOX", card["ts"])[-1]["text"]


def test_reopen_button(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)
    click(bot, "UANA", card, "case_resolve")
    card = wait_until(lambda: (c := fresh(slack, card)) and "Resolved" in card_text(c) and c)

    click(bot, "UBEN", card, "case_reopen")

    card = wait_until(lambda: (c := fresh(slack, card)) and "Reopened" in card_text(c) and c)
    assert "case_claim" in buttons(card)


def test_every_change_is_recorded_with_who_and_when(bot, slack, x, customer):
    from sqlmodel import select

    from storage.models import Event

    _, card = open_case(bot, slack, x, customer)
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(fresh(slack, card)))
    click(bot, "UANA", fresh(slack, card), "case_resolve")
    wait_until(lambda: "Resolved" in card_text(fresh(slack, card)))

    with bot.bridge.session() as s:
        events = [(e.kind, e.actor) for e in s.exec(select(Event).order_by(Event.id))]
        assert all(e.at is not None for e in s.exec(select(Event)))
    assert events == [("claim", "UANA"), ("resolve", "UANA")]


def test_a_button_for_an_unknown_or_malformed_case_changes_nothing(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)

    bot.slack.click("UANA", "C_INBOX", card["ts"], "case_claim", "99999")
    bot.slack.click("UANA", "C_INBOX", card["ts"], "case_claim", "not-a-number")

    wait_until(lambda: len(slack.responses) == 2)
    texts = sorted(r["text"] for r in slack.responses)
    assert any("not known" in t for t in texts) and any("did not say which case" in t for t in texts)
    assert "Open" in card_text(fresh(slack, card))
