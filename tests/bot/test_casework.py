"""Claim, Unclaim, Resolve, Reopen from the card's buttons."""

import threading
from datetime import timedelta

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


def test_a_card_update_overtaken_by_a_newer_one_does_not_leave_the_card_stale(bot, slack, x, customer):
    """The redraw after a reply is slow on its way to Slack; meanwhile the owner resolves and that redraw lands
    first. The late, older one must not be the card everyone is left looking at."""
    _, card = open_case(bot, slack, x, customer)
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(fresh(slack, card)))
    updates = slack.count("chat.update")
    late = slack.hold_next("chat.update")
    bot.slack.say("UANA", "C_INBOX", "Refunded, sorry about that.", thread_ts=card["ts"])
    wait_until(lambda: x.brand_posts() and slack.count("chat.update") > updates)  # the reply's redraw, held

    click(bot, "UANA", fresh(slack, card), "case_resolve")
    wait_until(lambda: "Resolved" in card_text(fresh(slack, card)))
    late.set()
    bot.settle()

    assert "Resolved" in card_text(fresh(slack, card))
    assert "case_reopen" in buttons(fresh(slack, card))


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


def resolved_case(bot, slack, x, customer, owner="UANA"):
    post, card = open_case(bot, slack, x, customer)
    click(bot, owner, card, "case_claim")
    wait_until(lambda: "Claimed" in card_text(fresh(slack, card)))
    click(bot, owner, fresh(slack, card), "case_resolve")
    card = wait_until(lambda: (c := fresh(slack, card)) and "Resolved" in card_text(c) and c)
    return post, card


def test_a_customer_post_in_the_conversation_gives_the_resolved_case_back_to_its_owner(bot, slack, x, customer):
    post, card = resolved_case(bot, slack, x, customer)
    assert "by <@UANA>" in card_text(card)
    assert set(buttons(card)) == {"case_reopen"}

    x.post(customer["id"], "@AcmeSupport it happened again", in_reply_to=post["id"])
    bot.cycle()

    card = fresh(slack, card)
    assert "Reopened" in card_text(card) and "claimed by <@UANA>" in card_text(card)
    assert set(buttons(card)) == {"case_unclaim", "case_resolve"}
    told = slack.replies("C_INBOX", card["ts"])[-1]
    assert "it happened again" in told["text"] and "<@UANA>" in told["text"]  # the fallback text notifies
    assert "still yours" in card_text(told) and "<@UANA>" in card_text(told)
    # Still the owner: her thread message goes out on X at once, in reply to the new post.
    bot.slack.say("UANA", "C_INBOX", "Sorry! A new card is on its way.", thread_ts=card["ts"])
    reply = wait_until(lambda: x.brand_posts())[0]
    assert reply["referenced_tweets"][0]["id"] == x.posts_by(customer["id"])[-1]["id"]

    click(bot, "UANA", fresh(slack, card), "case_resolve")
    wait_until(lambda: "Resolved" in card_text(fresh(slack, card)))
    report = bot.bridge.metrics.report(bot.bridge.metrics.period("today"))
    assert report.first_response.opened == 1 and report.resolution.reopened == 1
    [ana] = report.agents
    assert (ana.agent, ana.claims, ana.resolved) == ("UANA", 1, 2)
    assert ana.median_handle is not None  # both handlings count: from the claim, then from the reopening


def test_a_new_conversation_soon_after_a_resolution_reopens_that_case(bot, slack, x, customer):
    _, card = resolved_case(bot, slack, x, customer)

    later = x.post(customer["id"], "@AcmeSupport hi again, now the refund is missing")
    bot.cycle()

    assert len(cards(slack)) == 1  # no second case
    card = fresh(slack, card)
    assert "Reopened" in card_text(card) and "claimed by <@UANA>" in card_text(card)
    assert "refund is missing" in slack.replies("C_INBOX", card["ts"])[-1]["text"]
    bot.slack.say("UANA", "C_INBOX", "Checking the refund now.", thread_ts=card["ts"])
    reply = wait_until(lambda: x.brand_posts())[0]
    assert reply["referenced_tweets"][0]["id"] == later["id"]  # answered where she wrote last


def test_several_posts_in_one_read_reopen_the_resolved_case_once(bot, slack, x, customer):
    post, card = resolved_case(bot, slack, x, customer)

    x.post(customer["id"], "@AcmeSupport it happened again")  # a new conversation: it continues the case
    x.post(customer["id"], "@AcmeSupport and now the app crashes too", in_reply_to=post["id"])
    x.post(customer["id"], "@AcmeSupport hello?", in_reply_to=post["id"])
    bot.cycle()

    assert len(cards(slack)) == 1  # no second case
    card = fresh(slack, card)
    assert "Reopened" in card_text(card) and "claimed by <@UANA>" in card_text(card)
    posts = slack.replies("C_INBOX", card["ts"])[-3:]
    said = ("happened again", "crashes too", "hello?")
    assert [words in message["text"] for words, message in zip(said, posts, strict=True)] == [True] * 3
    assert ["still yours" in card_text(p) for p in posts] == [True, False, False]  # told once, with the first
    click(bot, "UANA", card, "case_resolve")
    wait_until(lambda: "Resolved" in card_text(fresh(slack, card)))
    report = bot.bridge.metrics.report(bot.bridge.metrics.period("today"))
    assert (report.resolution.resolved, report.resolution.reopened) == (1, 1)
    [ana] = report.agents
    assert ana.resolved == 2  # resolved, reopened once, resolved again


def test_a_new_conversation_while_the_case_is_still_open_is_a_case_of_its_own(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)

    x.post(customer["id"], "@AcmeSupport another question, about sizes")
    bot.cycle()

    assert len(cards(slack)) == 2


def test_a_new_conversation_long_after_a_resolution_opens_a_new_case(make_bot, slack, x, customer):
    bot = make_bot(REOPEN_WITHIN_DAYS="3")
    real = bot.bridge.clock
    bot.bridge.clock = lambda: real() - timedelta(days=4)  # the case was resolved four days ago
    _, card = resolved_case(bot, slack, x, customer)
    bot.bridge.clock = real

    x.post(customer["id"], "@AcmeSupport a new question about sizes")
    bot.cycle()

    assert len(cards(slack)) == 2
    assert "Resolved" in card_text(fresh(slack, card))
    assert "Open" in card_text(cards(slack)[-1]) and "sizes" in card_text(cards(slack)[-1])


def test_any_agent_can_take_over_a_case_the_customer_reopened(bot, slack, x, customer):
    post, card = resolved_case(bot, slack, x, customer)
    x.post(customer["id"], "@AcmeSupport it happened again", in_reply_to=post["id"])
    bot.cycle()

    bot.slack.select_user("UBEN", "C_INBOX", card["ts"], "case_reassign", "UBEN")

    card = wait_until(lambda: (c := fresh(slack, card)) and "<@UBEN>" in card_text(c) and c)
    assert "<@UANA>" not in card_text(card)
    # Taken over, it is Ben's like any claimed case: another agent can no longer take it.
    bot.slack.select_user("UCLO", "C_INBOX", card["ts"], "case_reassign", "UANA")
    wait_until(lambda: any("Only the owner, <@UBEN>" in r["text"] for r in slack.responses))
    assert "<@UBEN>" in card_text(fresh(slack, card))


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
