"""The core loop in Teams, end to end over real HTTP: a mention on X becomes a card in the Teams inbox channel, it is
claimed from the card, the owner's thread reply goes out on X and the thread gets the link."""

from tests.harness import wait_until
from tests.teams.harness import INBOX, buttons, card_texts


def open_case(bot, teams, x, customer, text="@AcmeSupport my parcel is lost"):
    post = x.post(customer["id"], text)
    bot.cycle()
    return post, teams.posts(INBOX)[-1]


def test_a_mention_becomes_a_card_that_is_claimed_and_answered(teams_bot, teams, x, customer, ana):
    post, card = open_case(teams_bot, teams, x, customer)
    shown = card_texts(card)
    assert "María García" in shown and "@maria_g" in shown and "my parcel is lost" in shown
    assert "1,234 followers" in shown and "Madrid" in shown
    assert buttons(card) == ["claim", "resolve"]
    assert card["attachments"][0]["content"]["version"] == "1.5"

    answer = teams_bot.teams.click(ana, card, "claim", channel=INBOX)
    assert answer.status_code == 200
    view = answer.json()
    assert view["statusCode"] == 200 and view["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Claimed by Ana Pérez" in card_texts(view["value"])
    assert "Claimed by Ana Pérez" in card_texts(teams.post(INBOX, card["id"]))  # everyone's view too

    root = card["id"]
    said = teams_bot.teams.say(ana, "Sorry about that! DM us the tracking number.", channel=INBOX, root=root)
    assert said.status_code in (200, 202)
    [reply] = wait_until(lambda: x.brand_posts())
    assert reply["text"] == "Sorry about that! DM us the tracking number."  # the bot's @mention is not sent
    assert reply["referenced_tweets"] == [{"type": "replied_to", "id": post["id"]}]
    teams_bot.settle()
    said = [card_texts(r) for r in teams.replies(INBOX, root) if r["from"]["id"] == teams.bot_id]
    assert any(reply["id"] in text for text in said), said


def bot_said(teams, root):
    return [card_texts(r) for r in teams.replies(INBOX, root) if r["from"]["id"] == teams.bot_id]


def claimed(bot, teams, x, customer, agent):
    post, card = open_case(bot, teams, x, customer)
    assert bot.teams.click(agent, card, "claim", channel=INBOX).status_code == 200
    return post, card


def test_the_agent_who_lost_the_claim_race_is_told_who_owns_it(teams_bot, teams, x, customer, ana, bruno):
    _, card = claimed(teams_bot, teams, x, customer, ana)
    answer = teams_bot.teams.click(bruno, card, "claim", channel=INBOX).json()
    shown = card_texts(answer["value"])
    assert "already claimed by Ana Pérez" in shown and "Nothing was changed" in shown
    assert "Claimed by Ana Pérez" in card_texts(teams.post(INBOX, card["id"]))


def test_notes_and_other_peoples_messages_stay_internal(teams_bot, teams, x, customer, ana, bruno):
    _, card = claimed(teams_bot, teams, x, customer, ana)
    teams_bot.teams.say(ana, "note: customer sounds upset, check the order first", channel=INBOX, root=card["id"])
    teams_bot.teams.say(bruno, "I can take the next one", channel=INBOX, root=card["id"])
    teams_bot.settle()
    assert x.brand_posts() == [] and x.count("create_tweet") == 0
    with teams_bot.bridge.session() as s:
        from sqlmodel import select

        from storage.models import Event

        notes = [e.detail for e in s.exec(select(Event).where(Event.kind == "note")).all()]
    assert any("customer sounds upset" in n for n in notes)


def test_a_message_in_an_unclaimed_case_stays_internal_and_its_author_is_told_privately(
    teams_bot, teams, x, customer, ana
):
    _, card = open_case(teams_bot, teams, x, customer)
    teams_bot.teams.say(ana, "On it!", channel=INBOX, root=card["id"])
    teams_bot.settle()
    assert x.brand_posts() == []
    told = [card_texts(m) for m in teams.private_chat(ana["id"])]
    assert any("Claim it first" in t for t in told), told
    assert bot_said(teams, card["id"]) == []  # nothing said in the thread, where everyone would read it


def test_a_retried_activity_changes_nothing_twice(teams_bot, teams, x, customer, ana, bruno):
    _, card = open_case(teams_bot, teams, x, customer)
    click = teams_bot.teams.invoke(ana, card, "claim", {"verb": "claim", "case": 1}, channel=INBOX)
    first, again = teams_bot.teams.send(click), teams_bot.teams.send(click)
    assert first.status_code == again.status_code == 200
    assert "Claimed by Ana Pérez" in card_texts(again.json()["value"])
    reply = teams_bot.teams.message(ana, "Refund on its way!", channel=INBOX, root=card["id"])
    assert teams_bot.teams.send(reply).status_code in (200, 202)
    assert teams_bot.teams.send(reply).status_code in (200, 202)  # Teams' retry: the same activity id
    wait_until(lambda: x.brand_posts())
    teams_bot.settle()
    assert [p["text"] for p in x.brand_posts()] == ["Refund on its way!"]
    with teams_bot.bridge.session() as s:
        from sqlmodel import select

        from storage.models import Event

        assert [e.kind for e in s.exec(select(Event)).all()].count("claim") == 1


def test_the_thread_gets_the_plain_reason_when_x_refuses(teams_bot, teams, x, customer, ana):
    post, card = claimed(teams_bot, teams, x, customer, ana)
    x.delete(post["id"])
    teams_bot.teams.say(ana, "Sorry, we are checking!", channel=INBOX, root=card["id"])
    teams_bot.settle()
    said = wait_until(lambda: [t for t in bot_said(teams, card["id"]) if "Not posted" in t or "deleted" in t])
    assert "deleted" in said[0]
    assert x.brand_posts() == []


def test_a_card_whose_posting_answer_was_lost_is_found_again_not_posted_twice(teams_bot, teams, x, customer):
    x.post(customer["id"], "@AcmeSupport where is my order?")
    teams.drop_next["create"] = 1  # Teams made the post, its answer never came back
    report = teams_bot.cycle()
    assert len(teams.posts(INBOX)) == 1 and report["mirrored"] == 0
    teams_bot.cycle()
    assert len(teams.posts(INBOX)) == 1
    with teams_bot.bridge.session() as s:
        from storage import cases

        case = cases.get_case(s, case_id=1)
    assert case.thread_id == teams.posts(INBOX)[0]["id"]
    x.post(customer["id"], "@AcmeSupport hello?", in_reply_to=x.get(x.posts_by(customer["id"])[0]["id"]))
    teams_bot.cycle()
    assert len(teams.replies(INBOX, case.thread_id)) == 1  # the follow-up lands in the card's thread


def test_a_thread_message_teams_never_delivered_is_read_back_and_its_owner_asked(teams_bot, teams, x, customer, ana):
    _, card = claimed(teams_bot, teams, x, customer, ana)
    teams_bot.teams.message(ana, "Refund sent, sorry!", channel=INBOX, root=card["id"])  # in the thread, not delivered
    teams_bot.clock_ahead(600)
    assert teams_bot.bridge.readback.run_once() == 1
    teams_bot.settle()
    assert x.brand_posts() == []  # a late reply is never sent unseen
    asked = wait_until(lambda: [m for m in teams.private_chat(ana["id"]) if "reply_send_late" in buttons(m)])
    assert "Refund sent, sorry!" in card_texts(asked[0])
    assert teams_bot.bridge.readback.run_once() == 0  # read once


def test_a_restarted_bot_still_names_the_owner_on_the_card(make_teams_bot, teams, x, customer, ana):
    first = make_teams_bot()
    _, card = claimed(first, teams, x, customer, ana)
    first.stop()
    again = make_teams_bot()  # knows nobody yet: the name is asked of Teams
    x.post(customer["id"], "@AcmeSupport any news?", in_reply_to=x.get(x.posts_by(customer["id"])[0]["id"]))
    again.cycle()
    again.bridge.mirror.refresh_card(1)
    assert "Claimed by Ana Pérez" in card_texts(teams.post(INBOX, card["id"]))
