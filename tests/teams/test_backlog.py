"""A burst beyond what Teams takes, through the real bot over HTTP against the Bot Connector stand-in (which answers
429 beyond Teams' per-thread limits): the backlog is shown in the order agents need, the Teams inbox is told how long
it waits in one post updated in place, and the bot keeps to Teams' limits instead of running into them."""

from tests.harness import post_a_slice_then_say_how_it_stands, wait_until
from tests.teams.harness import INBOX, buttons, card_texts, case_cards
from tests.teams.test_loop import claimed


def statuses(teams) -> list[dict]:
    return [p for p in teams.posts(INBOX) if not buttons(p)]


def test_a_follow_up_of_a_claimed_case_goes_before_new_cases_and_new_cases_by_reach(teams_bot, teams, x, customer, ana):
    first, card = claimed(teams_bot, teams, x, customer, ana)
    wait_until(lambda: "Claimed by Ana Pérez" in card_texts(teams.post(INBOX, card["id"])))
    strangers = [x.add_user(f"stranger{i}", f"Stranger {i}", followers=f) for i, f in enumerate((10, 9000, 300))]
    for stranger in strangers:
        x.post(stranger["id"], f"@AcmeSupport hello from {stranger['username']}")
    x.post(customer["id"], "@AcmeSupport any news on my order?", in_reply_to=first["id"])

    teams_bot.cycle()

    [follow_up] = [r for r in teams.replies(INBOX, card["id"]) if "any news on my order" in card_texts(r)]
    new = [p for p in case_cards(teams, INBOX) if p["id"] != card["id"]]
    assert all(int(follow_up["id"]) < int(p["id"]) for p in new), "the follow-up was shown after new cases"
    shown = [next(s["username"] for s in strangers if s["username"] in card_texts(p)) for p in new]
    assert shown == ["stranger1", "stranger2", "stranger0"]  # 9,000 followers, 300, 10


def test_a_long_backlog_is_said_once_in_the_teams_inbox_with_teams_own_pace_and_kept_up_to_date(teams_bot, teams, x):
    # Teams takes 60 posts per 30 s in a channel (8 per 2 s within that), 1,800 an hour: 200 are shown in about
    # 95 s (said "about 2 min"), where the hour's average pace (0.5 a second) would say 400 s.
    people = [x.add_user(f"fan{i}", f"Fan {i}", followers=i) for i in range(200)]
    for person in people:
        x.post(person["id"], f"@AcmeSupport where is my parcel, {person['username']}?")

    teams_bot.bridge.cycle(mirror_for=0)  # stored; nothing posted yet but the status

    assert case_cards(teams, INBOX) == []
    [status] = statuses(teams)
    assert "200 messages are waiting to be shown here" in card_texts(status)
    assert "about 2 min" in card_texts(status)

    post_a_slice_then_say_how_it_stands(teams_bot, 3)  # a few cards

    [again] = statuses(teams)
    assert again["id"] == status["id"], "the status is updated, not said again"
    left = len(people) - len(case_cards(teams, INBOX))
    assert 150 < left < 200
    now = teams.post(INBOX, status["id"])
    assert f"{left} messages are waiting" in card_texts(now) and now["edits"] == 1
    assert teams.throttled == 0, "Teams' limits are kept, not discovered"


def test_a_backlog_teams_shows_within_a_minute_is_not_announced(teams_bot, teams, x):
    # 36 new cases: at Teams' 8 per 2 s they are all shown in about 8 s
    for i in range(36):
        person = x.add_user(f"fan{i}", f"Fan {i}", followers=i)
        x.post(person["id"], f"@AcmeSupport where is my parcel, fan{i}?")

    teams_bot.cycle()

    assert len(case_cards(teams, INBOX)) == 36
    assert statuses(teams) == []
    assert teams.throttled == 0
