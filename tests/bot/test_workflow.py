"""Agents' workflow: SLA alerts, reassignment, saved replies, the undo window, edits and deletions."""

import json
import time
from datetime import timedelta
from urllib.parse import urlencode

from sqlmodel import select

from storage.models import Event, Message
from tests.harness import buttons, card_text, cards, click, wait_until


def open_case(bot, slack, x, customer, text="@AcmeSupport my parcel is lost"):
    post = x.post(customer["id"], text)
    bot.cycle()
    return post, cards(slack)[-1]


def claim(bot, slack, card, agent="UANA"):
    click(bot, agent, card, "case_claim")
    return wait_until(lambda: (c := slack.message("C_INBOX", card["ts"])) and f"<@{agent}>" in card_text(c) and c)


def thread(slack, card):
    return slack.replies("C_INBOX", card["ts"])


def block_action(bot, user, action, *, message=None, channel="C_INBOX", ephemeral=False):
    """A block action as Slack sends it, for controls the driver has no helper for (menus, ephemeral buttons)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEST"},
        "api_app_id": "A0TEST",
        "token": "legacy",
        "team": {"id": "T0TEST", "domain": "fake"},
        "container": {
            "type": "message",
            "channel_id": channel,
            "is_ephemeral": ephemeral,
            "message_ts": (message or {}).get("ts", "1.1"),
        },
        "channel": {"id": channel, "name": "inbox"},
        "trigger_id": "1.2.3",
        "response_url": bot.slack.fake.response_url_base + "r",
        "actions": [dict(action, action_ts=str(time.time()))],
    }
    if message is not None:
        payload["message"] = message
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return bot.slack.post_raw(body, content_type="application/x-www-form-urlencoded")


# --- SLA alerts ------------------------------------------------------------------------------------------------


def at_minutes(bot, minutes):
    start = bot.bridge.clock()
    bot.bridge.clock = lambda: start + timedelta(minutes=minutes)


def test_alerts_near_and_past_the_target_once_each(make_bot, slack, x, customer):
    bot = make_bot(SLA_FIRST_RESPONSE_MINUTES="10", ALERT_MENTION="@here")
    _, card = open_case(bot, slack, x, customer)

    assert bot.bridge.alerts.run_once() == 0
    at_minutes(bot, 8.5)
    bot.bridge.alerts.run_once()
    bot.bridge.alerts.run_once()
    warnings = [m for m in thread(slack, card) if "No public reply yet after 8 min" in m["text"]]
    assert len(warnings) == 1

    at_minutes(bot, 3)  # 11.5 minutes in
    bot.bridge.alerts.run_once()
    bot.bridge.alerts.run_once()
    assert len([m for m in thread(slack, card) if "breached" in m["text"]]) == 1
    [channel_alert] = [m for m in slack.messages("C_INBOX") if "past the 10-minute target" in m.get("text", "")]
    assert channel_alert["text"].startswith("<!here>") and "@maria_g" in channel_alert["text"]


def test_answered_and_resolved_cases_are_never_alerted(make_bot, slack, x, customer):
    bot = make_bot(SLA_FIRST_RESPONSE_MINUTES="10")
    _, answered = open_case(bot, slack, x, customer, "@AcmeSupport first")
    other = x.add_user("pedro", "Pedro")
    x.post(other["id"], "@AcmeSupport second")
    bot.cycle()
    resolved = cards(slack)[-1]
    claim(bot, slack, answered)
    bot.slack.say("UANA", "C_INBOX", "We're on it!", thread_ts=answered["ts"])
    wait_until(lambda: x.brand_posts())
    click(bot, "UBEN", resolved, "case_resolve")
    wait_until(lambda: "Resolved" in card_text(slack.message("C_INBOX", resolved["ts"])))

    at_minutes(bot, 30)
    assert bot.bridge.alerts.run_once() == 0


def test_business_hours_stop_the_sla_clock(make_bot, slack, x, customer):
    # A window that is closed for the whole test: the clock does not run.
    closed_day = (bot_day := time.gmtime()).tm_wday
    other = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][(closed_day + 3) % 7]
    bot = make_bot(SLA_FIRST_RESPONSE_MINUTES="10", BUSINESS_HOURS=f"{other} 09:00-10:00")
    del bot_day
    open_case(bot, slack, x, customer)
    at_minutes(bot, 60)
    assert bot.bridge.alerts.run_once() == 0


# --- Reassign --------------------------------------------------------------------------------------------------


def test_the_owner_hands_a_case_to_another_agent(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)
    card = claim(bot, slack, card)
    assert any(e.get("action_id") == "case_reassign" for b in card["blocks"] for e in b.get("elements", []))

    bot.slack.select_user("UANA", "C_INBOX", card["ts"], "case_reassign", "UBEN")

    wait_until(lambda: "<@UBEN>" in card_text(slack.message("C_INBOX", card["ts"])))
    told = wait_until(lambda: [e for e in slack.ephemerals if e["user"] == "UBEN"])
    assert "handed you the case" in told[0]["text"] and "<@UANA>" in told[0]["text"]
    with bot.bridge.session() as s:
        assert [(e.kind, e.actor, e.detail) for e in s.exec(select(Event))][-1] == ("reassign", "UANA", "UBEN")

    bot.slack.say("UBEN", "C_INBOX", "Hi, I'm taking over your case.", thread_ts=card["ts"])
    wait_until(lambda: x.brand_posts())


def test_only_the_owner_may_hand_a_case_over(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)
    card = claim(bot, slack, card)

    bot.slack.select_user("UCLO", "C_INBOX", card["ts"], "case_reassign", "UCLO")
    bot.slack.select_user("UBEN", "C_INBOX", card["ts"], "case_reassign", "UCLO")

    notices = wait_until(lambda: len(slack.responses) >= 2 and slack.responses)
    assert any("Only the owner, <@UANA>" in r["text"] for r in notices)
    assert "<@UANA>" in card_text(slack.message("C_INBOX", card["ts"]))


def reassign_menu(card: dict) -> dict:
    return next(e for b in card["blocks"] for e in b.get("elements", []) if e.get("action_id") == "case_reassign")


def test_with_a_team_set_the_reassign_menu_lists_its_agents_but_not_the_owner(make_bot, slack, x, customer):
    for user, name, real in [("UANA", "ana", "Ana Lima"), ("UBEN", "ben", "Ben Ode"), ("UCLO", "clo", "Clo Park")]:
        slack.add_user(user, name, real)
    bot = make_bot(ALLOWED_AGENTS="UANA UBEN UCLO")
    _, card = open_case(bot, slack, x, customer)
    card = claim(bot, slack, card)

    picker = reassign_menu(card)
    assert picker["type"] == "static_select"
    assert [(o["text"]["text"], o["value"]) for o in picker["options"]] == [("Ben Ode", "UBEN"), ("Clo Park", "UCLO")]

    bot.slack.select_option("UANA", "C_INBOX", card["ts"], "case_reassign", "UBEN")

    card = wait_until(lambda: (c := slack.message("C_INBOX", card["ts"])) and "<@UBEN>" in card_text(c) and c)
    assert [o["text"]["text"] for o in reassign_menu(card)["options"]] == ["Ana Lima", "Clo Park"]
    assert wait_until(lambda: [e for e in slack.ephemerals if e["user"] == "UBEN"])


def test_picking_the_owner_in_slacks_picker_is_refused_plainly(make_bot, slack, x, customer):
    bot = make_bot(REASSIGN_BY_ANYONE="true")  # no team set: the picker is Slack's, of anyone in the workspace
    _, card = open_case(bot, slack, x, customer)
    card = claim(bot, slack, card)
    assert reassign_menu(card)["type"] == "users_select"

    bot.slack.select_user("UBEN", "C_INBOX", card["ts"], "case_reassign", "UANA")

    [notice] = wait_until(lambda: slack.responses)
    assert "<@UANA> already owns this case" in notice["text"] and "Nothing was changed" in notice["text"]
    with bot.bridge.session() as s:
        assert [e.kind for e in s.exec(select(Event))] == ["claim"]
    assert [e for e in slack.ephemerals if e["user"] == "UANA"] == [], "the owner is not told they were handed it"


def test_menus_find_their_case_in_what_slack_sends_back_not_in_the_messages_metadata(bot, slack, x, customer):
    bot.slack.command("UANA", "/social-replies", "add thanks Thanks for waiting!")
    tom = x.add_user("tom_r", "Tom Reed")
    marias, first = open_case(bot, slack, x, customer)
    _, second = open_case(bot, slack, x, tom, "@AcmeSupport my order is late")
    first, second = claim(bot, slack, first), claim(bot, slack, second)

    picked = bot.slack.select_user("UANA", "C_INBOX", second["ts"], "case_reassign", "UBEN")
    assert "metadata" not in picked.payload["message"], "Slack does not promise it with a click"

    wait_until(lambda: "<@UBEN>" in card_text(slack.message("C_INBOX", second["ts"])))
    assert "<@UANA>" in card_text(slack.message("C_INBOX", first["ts"]))

    bot.slack.select_option("UANA", "C_INBOX", first["ts"], "case_saved_reply", "thanks")
    [post] = wait_until(lambda: x.brand_posts())
    assert post["text"] == "Thanks for waiting!"
    assert post["referenced_tweets"] == [{"type": "replied_to", "id": marias["id"]}]
    wait_until(lambda: any("Posted on X" in m["text"] for m in thread(slack, first)))
    assert not any("Posted on X" in m["text"] for m in thread(slack, second))


def test_the_one_handing_over_is_told_when_the_new_owner_is_not_in_the_channel(bot, slack, x, customer):
    slack.set_members("C_INBOX", ["UANA", "UCLO"])
    _, card = open_case(bot, slack, x, customer)
    card = claim(bot, slack, card)

    bot.slack.select_user("UANA", "C_INBOX", card["ts"], "case_reassign", "UBEN")

    [notice] = wait_until(lambda: slack.responses)
    assert "<@UBEN>" in notice["text"] and "not in this channel" in notice["text"] and "/invite" in notice["text"]
    assert "<@UBEN>" in card_text(slack.message("C_INBOX", card["ts"]))


# --- Saved replies ---------------------------------------------------------------------------------------------


def test_saved_replies_are_added_listed_used_from_the_card_and_removed(bot, slack, x, customer):
    added = bot.slack.command("UANA", "/social-replies", "add refund-delay Refunds take 3-5 working days. Sorry!")
    assert "Saved “refund-delay”" in added.body
    assert "Refunds take 3-5 working days" in bot.slack.command("UANA", "/social-replies", "list").body
    assert "exists" in bot.slack.command("UANA", "/social-replies", "add refund-delay again").body
    assert "Usage" in bot.slack.command("UANA", "/social-replies", "frobnicate").body
    assert "Not saved" in bot.slack.command("UANA", "/social-replies", "add Bad!Name text").body

    _, card = open_case(bot, slack, x, customer)
    card = claim(bot, slack, card)
    menu = next(e for b in card["blocks"] for e in b.get("elements", []) if e.get("action_id") == "case_saved_reply")
    option = next(o for o in menu["options"] if o["value"] == "refund-delay")

    block_action(
        bot,
        "UANA",
        {
            "action_id": "case_saved_reply",
            "block_id": "case_actions",
            "type": "static_select",
            "selected_option": option,
        },
        message=card,
    )

    [post] = wait_until(lambda: x.brand_posts())
    assert post["text"] == "Refunds take 3-5 working days. Sorry!"
    wait_until(lambda: any("Posted on X" in m["text"] and "Refunds take" in m["text"] for m in thread(slack, card)))

    assert "Removed" in bot.slack.command("UANA", "/social-replies", "remove refund-delay").body
    assert "No saved replies" in bot.slack.command("UANA", "/social-replies", "list").body


def test_a_saved_reply_follows_the_reply_rules(bot, slack, x, customer):
    bot.slack.command("UANA", "/social-replies", "add thanks Thanks for your patience!")
    _, card = open_case(bot, slack, x, customer)
    card = claim(bot, slack, card)
    menu = next(e for b in card["blocks"] for e in b.get("elements", []) if e.get("action_id") == "case_saved_reply")

    block_action(
        bot,
        "UBEN",
        {"action_id": "case_saved_reply", "type": "static_select", "selected_option": menu["options"][0]},
        message=card,
    )

    bot.settle()
    assert x.brand_posts() == []


def test_slash_reply_sends_a_saved_reply_in_the_one_case_the_agent_owns(bot, slack, x, customer):
    bot.slack.command("UANA", "/social-replies", "add hello Hello! How can we help?")
    _, card = open_case(bot, slack, x, customer)
    claim(bot, slack, card)

    bot.slack.command("UANA", "/reply", "hello")

    [post] = wait_until(lambda: x.brand_posts())
    assert post["text"] == "Hello! How can we help?"
    assert "You own no case" in bot.slack.command("UBEN", "/reply", "hello").body


# --- Undo window, edits and deletions ----------------------------------------------------------------------------


# An undo window no busy machine outlasts by accident; the bot's clock is moved past it instead of waiting.
WINDOW, PAST_THE_WINDOW = "30", 31


def pending_notice(bot, slack, card):
    """The notice of a reply waiting out its window, once the bot has recorded it (it posts the notice, then records
    it): a reply sent before that would be told of in a new thread message, not in its notice."""
    notice = wait_until(lambda: [m for m in thread(slack, card) if "Sending on X in" in m.get("text", "")])[-1]

    def recorded() -> bool:
        with bot.bridge.session(read_only=True) as s:
            return s.exec(select(Message).where(Message.notice_id == notice["ts"])).first() is not None

    wait_until(recorded)
    return notice


def test_undo_within_the_window_cancels_the_reply(make_bot, slack, x, customer):
    bot = make_bot(REPLY_DELAY_SECONDS=WINDOW)
    _, card = open_case(bot, slack, x, customer)
    claim(bot, slack, card)
    bot.slack.say("UANA", "C_INBOX", "Oops, wrong case", thread_ts=card["ts"])
    notice = pending_notice(bot, slack, card)

    click_undo = bot.slack.click("UANA", "C_INBOX", notice["ts"], "reply_undo", buttons(notice)["reply_undo"])
    assert click_undo.status == 200
    wait_until(lambda: "Undone by <@UANA>" in slack.message("C_INBOX", notice["ts"])["text"])
    bot.clock_ahead(PAST_THE_WINDOW)
    bot.bridge.replies.send_due()
    assert x.brand_posts() == []


def test_after_the_window_the_reply_goes_out_and_the_notice_shows_the_link(make_bot, slack, x, customer):
    bot = make_bot(REPLY_DELAY_SECONDS=WINDOW)
    _, card = open_case(bot, slack, x, customer)
    claim(bot, slack, card)
    bot.slack.say("UANA", "C_INBOX", "We found your parcel!", thread_ts=card["ts"])
    notice = pending_notice(bot, slack, card)

    bot.bridge.replies.send_due()
    assert x.brand_posts() == [], "not before the window closes"
    bot.clock_ahead(PAST_THE_WINDOW)
    bot.bridge.replies.send_due()

    [post] = x.brand_posts()
    assert post["text"] == "We found your parcel!"
    wait_until(lambda: post["id"] in slack.message("C_INBOX", notice["ts"])["text"])
    late = bot.slack.click("UANA", "C_INBOX", notice["ts"], "reply_undo", buttons(notice)["reply_undo"])
    assert late.status == 200
    wait_until(lambda: any("Too late" in r["text"] for r in slack.responses))


def test_a_pending_reply_survives_a_restart(make_bot, slack, x, customer):
    bot = make_bot(REPLY_DELAY_SECONDS=WINDOW)
    _, card = open_case(bot, slack, x, customer)
    claim(bot, slack, card)
    bot.slack.say("UANA", "C_INBOX", "Back in a moment with news.", thread_ts=card["ts"])
    pending_notice(bot, slack, card)
    bot.stop()

    again = make_bot(REPLY_DELAY_SECONDS=WINDOW)
    again.clock_ahead(PAST_THE_WINDOW)
    again.bridge.replies.send_due()

    assert [p["text"] for p in x.brand_posts()] == ["Back in a moment with news."]


def test_an_edit_in_the_window_changes_what_goes_out(make_bot, slack, x, customer):
    bot = make_bot(REPLY_DELAY_SECONDS=WINDOW)
    _, card = open_case(bot, slack, x, customer)
    claim(bot, slack, card)
    said = bot.slack.say("UANA", "C_INBOX", "Your refund was sent on Monday", thread_ts=card["ts"])
    pending_notice(bot, slack, card)

    bot.slack.edit("UANA", "C_INBOX", said.ts, "Your refund was sent on Tuesday")
    wait_until(lambda: any("Edited" in m["text"] for m in thread(slack, card)))
    bot.clock_ahead(PAST_THE_WINDOW)
    bot.bridge.replies.send_due()

    assert [p["text"] for p in x.brand_posts()] == ["Your refund was sent on Tuesday"]


def test_an_edit_after_posting_offers_delete_and_repost(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)
    claim(bot, slack, card)
    said = bot.slack.say("UANA", "C_INBOX", "Your order ships tomorow", thread_ts=card["ts"])
    [first] = wait_until(lambda: x.brand_posts())

    bot.slack.edit("UANA", "C_INBOX", said.ts, "Your order ships tomorrow")
    [question] = wait_until(lambda: [e for e in slack.ephemerals if "does not allow editing" in e["text"]])
    repost = next(e for b in question["blocks"] for e in b.get("elements", []) if e["action_id"] == "reply_repost")

    block_action(bot, "UANA", {"action_id": "reply_repost", "type": "button", "value": repost["value"]}, ephemeral=True)

    wait_until(lambda: x.get(first["id"])["deleted"])
    live = wait_until(lambda: [p for p in x.brand_posts() if not p["deleted"]])
    assert [p["text"] for p in live] == ["Your order ships tomorrow"]


def test_deleting_the_slack_message_of_a_posted_reply_asks_before_deleting_the_post(bot, slack, x, customer):
    _, card = open_case(bot, slack, x, customer)
    claim(bot, slack, card)
    said = bot.slack.say("UANA", "C_INBOX", "This went to the wrong customer", thread_ts=card["ts"])
    [post] = wait_until(lambda: x.brand_posts())

    bot.slack.delete("C_INBOX", said.ts)
    [question] = wait_until(lambda: [e for e in slack.ephemerals if "still public on X" in e["text"]])
    assert not x.get(post["id"])["deleted"], "nothing happens on X without the owner's click"
    delete = next(e for b in question["blocks"] for e in b.get("elements", []) if e["action_id"] == "reply_delete")

    block_action(bot, "UANA", {"action_id": "reply_delete", "type": "button", "value": delete["value"]}, ephemeral=True)

    wait_until(lambda: x.get(post["id"])["deleted"])
    wait_until(lambda: any("Deleted on X by <@UANA>" in m["text"] for m in thread(slack, card)))
