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
