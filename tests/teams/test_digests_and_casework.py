"""Digests (with the chart) in the Teams digest channel, social-stats answered privately, and the rest of an
agent's work from the card: Unclaim, Resolve, Reopen, a saved reply, the undo window."""

import base64

from tests.db_hazards import table_away
from tests.harness import wait_until
from tests.teams.harness import DIGEST, INBOX, buttons, card_texts
from tests.teams.test_loop import bot_said, claimed


def test_the_digests_and_their_chart_are_posted_in_the_digest_channel(teams_bot, teams, x, customer, ana):
    claimed(teams_bot, teams, x, customer, ana)
    today = teams_bot.bridge.metrics.today()
    outcome = teams_bot.bridge.digests.post("daily", teams_bot.bridge.digests.daily(today))
    assert outcome.posted == ["sla", "resolution", "chart"]
    posts = teams.posts(DIGEST)
    assert len(posts) == 3
    sla, resolution, chart = (card_texts(p) for p in posts)
    assert "SLA digest" in sla and "Last 14 days" in chart
    facts = {f["title"]: f["value"] for f in posts[0]["attachments"][0]["content"]["body"][1]["facts"]}
    assert facts["Cases opened"] == "1"
    assert "Resolution digest" in resolution and "Ana Pérez" in resolution  # by agent, by name
    [image] = [b for b in posts[2]["attachments"][0]["content"]["body"] if b["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,")
    assert base64.b64decode(image["url"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert teams_bot.bridge.digests.post("daily", teams_bot.bridge.digests.daily(today)).posted == []  # once


def test_social_stats_is_answered_privately(teams_bot, teams, x, customer, ana):
    claimed(teams_bot, teams, x, customer, ana)
    asked = teams_bot.teams.personal_message(ana, "social-stats 7d")
    assert teams_bot.teams.send(asked).status_code in (200, 202)
    [answer] = wait_until(lambda: teams.private_chat(ana["id"]))
    shown = card_texts(answer)
    assert "Last 7 days" in shown and "First response" in shown and "Resolution" in shown
    assert len(teams.posts(INBOX)) == 1  # nothing said where others read it

    in_channel = teams_bot.teams.message(ana, "social-stats yesterday", channel=INBOX, root="0")
    in_channel["id"] = in_channel["replyToId"] = in_channel["conversation"]["id"].split("=")[1]
    in_channel["conversation"]["id"] = f"{INBOX};messageid={in_channel['id']}"
    assert teams_bot.teams.send(in_channel).status_code in (200, 202)
    wait_until(lambda: len(teams.private_chat(ana["id"])) == 2)
    assert "Yesterday" in card_texts(teams.private_chat(ana["id"])[1])


def test_social_stats_the_database_cannot_give_is_said_to_be_missing(teams_bot, teams, x, customer, ana, database_url):
    claimed(teams_bot, teams, x, customer, ana)
    with table_away(database_url, "event"):
        assert teams_bot.teams.send(teams_bot.teams.personal_message(ana, "social-stats 7d")).status_code in (200, 202)
        [answer] = wait_until(lambda: teams.private_chat(ana["id"]))
    said = answer.get("text") or card_texts(answer)
    assert "could not count the figures just now" in said and "Ask again" in said and "event" not in said

    assert teams_bot.teams.send(teams_bot.teams.personal_message(ana, "social-stats 7d")).status_code in (200, 202)
    wait_until(lambda: len(teams.private_chat(ana["id"])) == 2)
    assert "Last 7 days" in card_texts(teams.private_chat(ana["id"])[1])


def test_unclaim_resolve_and_reopen_from_the_card(teams_bot, teams, x, customer, ana, bruno):
    _, card = claimed(teams_bot, teams, x, customer, ana)
    assert buttons(teams.post(INBOX, card["id"])) == ["unclaim", "resolve"]
    wrong = teams_bot.teams.click(bruno, teams.post(INBOX, card["id"]), "unclaim", channel=INBOX).json()
    assert "Nothing" in card_texts(wrong["value"]) and "Claimed by Ana" in card_texts(teams.post(INBOX, card["id"]))
    teams_bot.teams.click(ana, teams.post(INBOX, card["id"]), "resolve", channel=INBOX)
    resolved = teams.post(INBOX, card["id"])
    assert "Resolved by Ana Pérez" in card_texts(resolved) and buttons(resolved) == ["reopen"]
    teams_bot.teams.click(bruno, resolved, "reopen", channel=INBOX)
    reopened = teams.post(INBOX, card["id"])
    assert "Reopened — unclaimed" in card_texts(reopened) and buttons(reopened) == ["claim", "resolve"]
    teams_bot.teams.click(bruno, reopened, "claim", channel=INBOX)
    teams_bot.teams.click(bruno, teams.post(INBOX, card["id"]), "unclaim", channel=INBOX)
    assert "Open — unclaimed" in card_texts(teams.post(INBOX, card["id"]))


def test_a_saved_reply_is_sent_from_the_card(teams_bot, teams, x, customer, ana):
    add = teams_bot.teams.personal_message(ana, "social-replies add refund Your refund is on its way.")
    assert teams_bot.teams.send(add).status_code in (200, 202)
    teams_bot.teams.send(add)  # Teams' retry: the same activity id adds nothing twice
    wait_until(lambda: teams.private_chat(ana["id"]))
    post, card = claimed(teams_bot, teams, x, customer, ana)
    drawn = teams.post(INBOX, card["id"])
    assert "saved_reply" in buttons(drawn)
    click = teams_bot.teams.invoke(
        ana, drawn, "saved_reply", {"verb": "saved_reply", "case": 1, "saved_reply": "refund"}, channel=INBOX
    )
    assert teams_bot.teams.send(click).status_code == 200
    [reply] = wait_until(lambda: x.brand_posts())
    assert reply["text"] == "Your refund is on its way."
    teams_bot.settle()
    assert len([m for m in teams.private_chat(ana["id"]) if "refund" in card_texts(m).lower()]) == 1


def test_the_undo_window_holds_the_reply_and_undo_stops_it(make_teams_bot, teams, x, customer, ana):
    bot = make_teams_bot(REPLY_DELAY_SECONDS="30")
    _, card = claimed(bot, teams, x, customer, ana)
    bot.teams.say(ana, "We will call you back today.", channel=INBOX, root=card["id"])
    bot.settle()
    [pending] = wait_until(lambda: [r for r in teams.replies(INBOX, card["id"]) if "reply_undo" in buttons(r)])
    assert "Sending on X in 30 s" in card_texts(pending)
    undo = bot.teams.invoke(ana, pending, "reply_undo", _data(pending, "reply_undo"), channel=INBOX)
    assert bot.teams.send(undo).status_code == 200
    bot.clock_ahead(60)
    bot.cycle()
    assert x.brand_posts() == []
    assert "reply_undo" not in buttons(teams.post_or_reply(card["id"], pending["id"]))
    assert any(
        "not sent" in t.lower() or "undone" in t.lower() or "cancel" in t.lower() for t in bot_said(teams, card["id"])
    )


def _data(activity, verb):
    from bot.sandbox.standins.bot_connector import _button_data

    return _button_data(activity, verb)


def test_a_claimed_case_is_handed_to_another_agent_of_the_team(make_teams_bot, teams, x, customer, ana, bruno):
    bot = make_teams_bot(ALLOWED_AGENTS=f"{ana['aadObjectId']} {bruno['aadObjectId']}")
    teams_bot_saw = bot.teams.personal_message(bruno, "social-replies list")  # Bruno has talked to the bot
    bot.teams.send(teams_bot_saw)
    _, card = claimed(bot, teams, x, customer, ana)
    drawn = teams.post(INBOX, card["id"])
    assert "reassign" in buttons(drawn) and "Bruno Díaz" in card_texts(drawn)
    data = {**_data(drawn, "reassign"), "reassign_to": bruno["aadObjectId"]}
    assert bot.teams.send(bot.teams.invoke(ana, drawn, "reassign", data, channel=INBOX)).status_code == 200
    assert "Claimed by Bruno Díaz" in card_texts(teams.post(INBOX, card["id"]))
    told = wait_until(lambda: [card_texts(m) for m in teams.private_chat(bruno["id"]) if "handed you" in card_texts(m)])
    assert "Ana Pérez handed you the case of @maria_g" in told[0]


def test_sla_alerts_in_the_thread_and_a_breach_in_the_channel(make_teams_bot, teams, x, customer):
    from datetime import timedelta

    from tests.teams.test_loop import open_case

    bot = make_teams_bot(SLA_FIRST_RESPONSE_MINUTES="10", ALERT_MENTION="@here")
    _, card = open_case(bot, teams, x, customer)
    start = bot.bridge.clock()
    bot.bridge.clock = lambda: start + timedelta(minutes=8.5)
    bot.bridge.alerts.run_once()
    bot.bridge.clock = lambda: start + timedelta(minutes=11.5)
    bot.bridge.alerts.run_once()
    bot.bridge.alerts.run_once()
    said = bot_said(teams, card["id"])
    assert len([t for t in said if "No public reply yet after 8 min" in t]) == 1
    assert len([t for t in said if "breached" in t]) == 1
    [breach] = [card_texts(p) for p in teams.posts(INBOX) if "past the 10-minute target" in card_texts(p)]
    assert breach.startswith("@here") and "@maria_g" in breach and "the case" in breach
