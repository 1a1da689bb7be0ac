"""A card stays under Slack's total size cap (msg_blocks_too_long) however long the post and however many saved
replies there are; and a card Slack refuses all the same is shown shortened, said once in the log, never left
stale and retried every cycle."""

import logging

import pytest

from storage import saved_replies
from tests.fakes import FakeSlack
from tests.harness import RunningBot, bot_env, card_text, cards, click, wait_until

NAMES = [f"reply-{i:03d}-" + "x" * 29 for i in range(150)]  # 40 characters: the longest a name may be


def save_all(bot, names):
    with bot.bridge.session() as s:
        for name in names:
            saved_replies.add(s, name=name, text=f"Answer {name[:9]}", user="UANA", at=bot.bridge.clock())


def menu(card: dict, action_id: str) -> dict:
    return next(e for b in card["blocks"] for e in b.get("elements", []) if e.get("action_id") == action_id)


def test_a_claimed_card_with_a_long_post_and_150_saved_replies_stays_under_slacks_cap(bot, slack, x, customer):
    save_all(bot, NAMES)
    x.post(customer["id"], "@AcmeSupport " + "Q&A <b> is broken, " * 1200)  # ~24,000 characters, a long post
    bot.cycle()
    card = cards(slack)[0]

    click(bot, "UANA", card, "case_claim")
    card = wait_until(lambda: (c := slack.message("C_INBOX", card["ts"])) and "Claimed" in card_text(c) and c)

    saved = menu(card, "case_saved_reply")
    assert 0 < len(saved["options"]) < len(NAMES)
    assert [o["value"] for o in saved["options"]] == NAMES[: len(saved["options"])]
    assert f"of {len(NAMES)}" in saved["placeholder"]["text"] and "/reply NAME" in saved["placeholder"]["text"]
    assert card["blocks"][1]["text"]["text"].endswith("…"), "the post is quoted up to the section's limit"

    bot.slack.command("UANA", "/reply", NAMES[-1])  # a saved reply the menu had no room for
    [post] = wait_until(lambda: x.brand_posts())
    assert post["text"] == f"Answer {NAMES[-1][:9]}"


@pytest.fixture
def tight_slack():
    """A Slack whose size cap is lower than the bot expects (it is not documented, and Slack may change it)."""
    with FakeSlack(blocks_chars_cap=2500) as fake:
        yield fake


def test_a_card_slack_refuses_is_shown_shortened_and_said_once_in_the_log(
    tight_slack, x, database_url, customer, caplog
):
    bot = RunningBot(bot_env(tight_slack, x, database_url), tight_slack)
    try:
        save_all(bot, NAMES[:20])
        x.post(customer["id"], "@AcmeSupport where is my parcel?")
        bot.cycle()
        card = cards(tight_slack)[0]
        caplog.set_level(logging.WARNING, logger="bot.chats.slack.chat")

        click(bot, "UANA", card, "case_claim")
        claimed = wait_until(lambda: "<@UANA>" in card_text(tight_slack.message("C_INBOX", card["ts"])))
        bot.slack.say("UANA", "C_INBOX", "On its way!", thread_ts=card["ts"])
        wait_until(lambda: "1 public reply" in card_text(tight_slack.message("C_INBOX", card["ts"])))
        bot.cycle()
    finally:
        bot.stop()

    assert claimed
    shown = tight_slack.message("C_INBOX", card["ts"])
    assert "Shortened" in card_text(shown) and "/reply NAME" in card_text(shown)
    assert "case_saved_reply" not in str(shown["blocks"]) and "case_unclaim" in str(shown["blocks"])
    refused = [r for r in caplog.records if "refused its card" in r.getMessage()]
    assert len(refused) == 1 and "msg_blocks_too_long" in refused[0].getMessage()
