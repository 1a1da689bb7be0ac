"""Customer and agent text is shown as written: it never becomes a live mention, broadcast or link, on the card, in
the notification (the message's `text`, which Slack renders as mrkdwn and shows alone), in the thread or in a
notice; and a text cut to fit is cut between characters, never in the middle of an escaped one."""

import re

from storage import saved_replies
from tests.harness import as_read, cards, click, live_markup, wait_until

HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|Reset your password> & thanks"


def the_bots_own(markup: str) -> bool:
    """The links and mentions the bot itself writes: the customer's profile and post on X, the agents."""
    return markup.startswith(("https://x.com/", "@UANA"))


def send_saved_reply(bot, slack, x, customer, name: str) -> dict:
    """A new case, claimed by UANA, who picks the saved reply `name` from its card's menu; returns the card."""
    x.post(customer["id"], "@AcmeSupport hello?")
    bot.cycle()
    card = cards(slack)[0]
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: "case_saved_reply" in str(slack.message("C_INBOX", card["ts"])["blocks"]))
    bot.slack.select_option("UANA", "C_INBOX", card["ts"], "case_saved_reply", name)
    return card


def test_a_customers_markup_stays_text_on_the_card_in_its_notification_and_in_the_thread(bot, slack, x, customer):
    first = x.post(customer["id"], f"@AcmeSupport {HOSTILE}")
    bot.cycle()
    [card] = cards(slack)

    assert [m for m in live_markup(card) if not the_bots_own(m)] == []
    assert HOSTILE in as_read(card["text"]), "the notification shows what she wrote, as she wrote it"

    x.post(customer["id"], f"@AcmeSupport again: {HOSTILE}", in_reply_to=first)
    bot.cycle()
    [follow_up] = slack.replies("C_INBOX", card["ts"])
    assert [m for m in live_markup(follow_up) if not the_bots_own(m)] == []
    assert f"again: {HOSTILE}" in as_read(follow_up["text"])


def test_an_agents_saved_reply_is_shown_as_written_in_the_list_and_in_the_thread(bot, slack, x, customer):
    # Typed in Slack, "<https://evil.example|Reset your password> & thanks" arrives escaped, as Slack sends it.
    bot.slack.command(
        "UANA", "/social-replies", "add reset Click &lt;https://evil.example|Reset your password&gt; &amp; go"
    )
    listing = {"text": bot.slack.command("UANA", "/social-replies", "list").body}  # Slack shows it as a message
    assert live_markup(listing) == []
    assert "Click <https://evil.example|Reset your password> & go" in as_read(listing["text"])

    card = send_saved_reply(bot, slack, x, customer, "reset")

    [posted] = wait_until(lambda: x.brand_posts())
    assert posted["text"] == "Click <https://evil.example|Reset your password> & go"
    [said] = wait_until(lambda: [m for m in slack.replies("C_INBOX", card["ts"]) if "Posted on X" in m["text"]])
    assert [m for m in live_markup(said) if not the_bots_own(m)] == []
    assert "> Click <https://evil.example|Reset your password> & go" in as_read(said["text"])


def test_an_undo_notice_names_the_saved_reply_as_written(make_bot, slack, x, customer):
    bot = make_bot(REPLY_DELAY_SECONDS="30")
    with bot.bridge.session() as s:
        saved_replies.add(s, name="hi", text="Hi <!here>, we're on it", user="UANA", at=bot.bridge.clock())
    card = send_saved_reply(bot, slack, x, customer, "hi")

    [pending] = wait_until(lambda: [m for m in slack.replies("C_INBOX", card["ts"]) if "Sending on X" in m["text"]])
    assert live_markup(pending) == []
    assert "(saved reply: “Hi <!here>, we're on it”)" in as_read(pending["text"])


def test_a_long_post_of_ampersands_is_cut_between_characters_never_inside_one(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport " + "&" * 4000)
    bot.cycle()
    [card] = cards(slack)

    for text in [card["text"], *(b["text"]["text"] for b in card["blocks"] if b["type"] == "section")]:
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), "no entity cut in half"
    quoted = card["blocks"][1]["text"]["text"]
    assert len(quoted) <= 3000 and quoted.endswith("&amp;…")
    assert as_read(card["text"]).endswith("&…")
