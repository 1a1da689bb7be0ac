"""Clicks and state-changing slash commands: never answered 200 and then dropped; a retry or a replay of one changes
nothing; two real clicks of the same button are two clicks."""

from sqlmodel import select

from storage.models import Case, Event
from tests.db_hazards import write_lock_held
from tests.harness import buttons, card_text, cards, click, wait_until


def open_card(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport my parcel never came")
    bot.cycle()
    return cards(slack)[-1]


def card_now(slack, card):
    return slack.message("C_INBOX", card["ts"])


def events(bot, kind):
    with bot.bridge.session() as s:
        return [(e.kind, e.actor) for e in s.exec(select(Event).where(Event.kind == kind).order_by(Event.id))]


def claimed_and_unclaimed(bot, slack, card):
    """Ana claims the case, then unclaims it; the claim's delivery."""
    claim = click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "<@UANA>" in card_text(card_now(slack, card)))
    click(bot, "UANA", card_now(slack, card), "case_unclaim")
    wait_until(lambda: "case_claim" in buttons(card_now(slack, card)))
    return claim


def test_a_click_the_database_cannot_take_in_time_is_answered_500_then_done_when_sent_again(
    bot, slack, x, customer, database_url
):
    card = open_card(bot, slack, x, customer)

    with write_lock_held(database_url):
        refused = click(bot, "UANA", card, "case_claim")

    assert refused.status == 500, "Slack must hear that the click failed, not 200 for a click that is then dropped"
    assert "case_claim" in buttons(card_now(slack, card))
    assert bot.slack.redeliver(refused).status == 200
    wait_until(lambda: "<@UANA>" in card_text(card_now(slack, card)))
    assert events(bot, "claim") == [("claim", "UANA")]


def test_a_slash_command_the_database_cannot_take_in_time_is_answered_500(bot, slack, database_url):
    with write_lock_held(database_url):
        refused = bot.slack.command("UANA", "/social-replies", "add thanks Thanks for writing!")

    assert refused.status == 500
    assert "No saved replies" in bot.slack.command("UANA", "/social-replies", "list").body
    assert "Saved “thanks”" in bot.slack.redeliver(refused).body


def test_a_thread_message_the_database_cannot_take_in_time_is_answered_500(bot, slack, x, customer, database_url):
    card = open_card(bot, slack, x, customer)
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "<@UANA>" in card_text(card_now(slack, card)))

    with write_lock_held(database_url):
        refused = bot.slack.say("UANA", "C_INBOX", "On its way!", thread_ts=card["ts"])

    assert refused.status == 500, "Slack retries an event that got no 200"
    assert bot.slack.redeliver(refused).status == 200
    wait_until(lambda: [p["text"] for p in x.brand_posts()] == ["On its way!"])


def test_a_replayed_claim_changes_nothing_after_an_unclaim(bot, slack, x, customer):
    card = open_card(bot, slack, x, customer)
    claim = claimed_and_unclaimed(bot, slack, card)

    replayed = bot.slack.replay(claim)  # the very same signed request, within Slack's 5 minutes
    retried = bot.slack.redeliver(claim)  # the same payload signed anew, as Slack's retry sends it

    assert replayed.status == 200 and retried.status == 200
    bot.settle()  # every listener at work finished
    assert "case_claim" in buttons(card_now(slack, card))
    assert events(bot, "claim") == [("claim", "UANA")]


def test_a_replayed_resolve_changes_nothing_after_a_reopen(bot, slack, x, customer):
    card = open_card(bot, slack, x, customer)
    resolve = click(bot, "UANA", card, "case_resolve")
    wait_until(lambda: "case_reopen" in buttons(card_now(slack, card)))
    click(bot, "UBEN", card_now(slack, card), "case_reopen")
    wait_until(lambda: "case_claim" in buttons(card_now(slack, card)))

    assert bot.slack.replay(resolve).status == 200
    bot.settle()
    with bot.bridge.session() as s:
        assert s.exec(select(Case.status)).one() == "open"
    assert events(bot, "resolve") == [("resolve", "UANA")]


def test_a_replayed_saved_reply_is_not_restored_after_its_removal(bot):
    added = bot.slack.command("UANA", "/social-replies", "add refund Refunds take 3 days.")
    assert "Saved" in added.body
    assert "Removed" in bot.slack.command("UANA", "/social-replies", "remove refund").body

    assert bot.slack.replay(added).status == 200
    bot.settle()

    assert "No saved replies" in bot.slack.command("UANA", "/social-replies", "list").body


def test_two_real_clicks_of_the_same_button_are_two_clicks(bot, slack, x, customer):
    card = open_card(bot, slack, x, customer)
    claimed_and_unclaimed(bot, slack, card)

    click(bot, "UANA", card_now(slack, card), "case_claim")  # the same button, clicked again later

    wait_until(lambda: "<@UANA>" in card_text(card_now(slack, card)))
    assert events(bot, "claim") == [("claim", "UANA"), ("claim", "UANA")]


def test_a_picker_click_that_picked_nobody_changes_nothing(bot, slack, x, customer):
    card = open_card(bot, slack, x, customer)
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "<@UANA>" in card_text(card_now(slack, card)))

    bot.slack.select_user("UANA", "C_INBOX", card["ts"], "case_reassign", None)

    told = wait_until(lambda: slack.responses)
    assert "did not say" in told[0]["text"]
    with bot.bridge.session() as s:
        assert s.exec(select(Case.owner)).one() == "UANA"
