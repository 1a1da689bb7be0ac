"""A click's or a command's response_url: called only when it is Slack's, and never at the cost of other clicks."""

import json
from contextlib import contextmanager

from tests.fakes import FakeSlack
from tests.harness import cards, click, wait_until


@contextmanager
def response_urls_at(slack: FakeSlack, base: str):
    """Requests sent meanwhile name response URLs under `base` (as a forged payload would)."""
    own = slack.response_url_base
    slack.response_url_base = base
    try:
        yield
    finally:
        slack.response_url_base = own


def claimed_by(slack, card, user: str) -> bool:
    return f"<@{user}>" in json.dumps(slack.message("C_INBOX", card["ts"])["blocks"])


def test_a_response_url_that_is_not_slacks_is_not_called_and_the_person_is_told_privately(bot, slack, x, customer):
    x.post(customer["id"], "@AcmeSupport where is my parcel?")
    bot.cycle()
    card = cards(slack)[0]
    click(bot, "UANA", card, "case_claim")
    wait_until(lambda: claimed_by(slack, card, "UANA"))

    with FakeSlack() as elsewhere, response_urls_at(slack, elsewhere.response_url_base):
        too_late = click(bot, "USAM", card, "case_claim")
        notice = wait_until(lambda: [e for e in slack.ephemerals if e["user"] == "USAM"])[0]
        unclaim = click(bot, "UANA", slack.message("C_INBOX", card["ts"]), "case_unclaim")
        wait_until(lambda: "Claimed" not in json.dumps(slack.message("C_INBOX", card["ts"])["blocks"]))
        assert elsewhere.responses == [], "the forged response_url was called"

    assert too_late.status == 200 and unclaim.status == 200
    assert notice["channel"] == "C_INBOX" and "<@UANA>" in notice["text"], "told who owns the case"


def test_a_slow_response_url_holds_no_listener(bot, slack, x):
    customers = [x.add_user(f"cust{i}", f"Customer {i}") for i in range(2)]
    for c in customers:
        x.post(c["id"], "@AcmeSupport help")
    bot.cycle()
    first, second = cards(slack)
    click(bot, "UANA", first, "case_claim")
    wait_until(lambda: claimed_by(slack, first, "UANA"))

    slack.hold_responses()  # Slack's response URLs stop answering
    try:
        for _ in range(24):  # more losing clicks than there are listeners, each told who owns the case
            assert click(bot, "USAM", first, "case_claim").status == 200
        assert click(bot, "USAM", second, "case_claim").status == 200

        wait_until(lambda: claimed_by(slack, second, "USAM"), timeout=15)
    finally:
        slack.release_responses()
    wait_until(lambda: any("<@UANA>" in (r.get("text") or "") for r in slack.responses))
