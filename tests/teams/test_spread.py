"""OVERFLOW_CHANNELS on Teams: a Teams inbox more than a minute behind at Teams' own pace deals its new cases out to
a Teams overflow channel too, by reach, through the real bot over HTTP against the Bot Connector stand-in (which
answers 429 beyond Teams' per-thread limits); a case there is worked as in the inbox, and nothing is shown twice."""

import pytest

from tests.teams.harness import DIGEST, INBOX, card_texts, case_cards

OVERFLOW = "19:overflow00@thread.tacv2"


@pytest.fixture
def teams_channels():
    return ((INBOX, "Social inbox"), (DIGEST, "Social digests"), (OVERFLOW, "Social overflow"))


def test_a_teams_inbox_over_a_minute_behind_deals_new_cases_to_a_teams_overflow_channel(make_teams_bot, teams, x):
    # 200 new cases: at Teams' 8 posts per 2 s (60 per 30 s) in a channel, about 95 s in the inbox alone
    people = [x.add_user(f"fan{i}", f"Fan {i}", followers=i) for i in range(200)]
    mentions = [x.post(person["id"], f"@AcmeSupport where is my parcel, {person['username']}?") for person in people]
    bot = make_teams_bot(OVERFLOW_CHANNELS=OVERFLOW)

    bot.bridge.cycle(mirror_for=3)

    inbox, overflow = case_cards(teams, INBOX), case_cards(teams, OVERFLOW)
    assert inbox and overflow, "both channels took a share"
    # by reach, dealt in turn: the most followed customer's card in the inbox, the next in the overflow channel
    assert "@fan199" in card_texts(inbox[0]) and "@fan198" in card_texts(overflow[0])
    assert teams.throttled == 0, "Teams' limits are kept in each channel, not discovered"

    x.post(people[198]["id"], "@AcmeSupport it is a blue box", in_reply_to=mentions[198]["id"])
    bot.bridge.cycle(mirror_for=3)  # a follow-up goes before the new cases still waiting

    [card] = [c for c in case_cards(teams, OVERFLOW) if "@fan198" in card_texts(c)]
    assert any("it is a blue box" in card_texts(r) for r in teams.replies(OVERFLOW, card["id"]))
    who = shown(teams)
    assert len(who) == len(set(who)) < 200, "each case shown once, in one of the channels; the rest wait"
    assert teams.throttled == 0


def shown(teams) -> list[str]:
    """Who each case card is of, in both channels."""
    return [
        next(word for word in card_texts(c).split() if word.startswith("@fan"))
        for channel in (INBOX, OVERFLOW)
        for c in case_cards(teams, channel)
    ]
