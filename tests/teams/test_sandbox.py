"""`python -m bot sandbox --chat teams`: a Teams-like page over the real bot, used as a person would, over HTTP."""

import re

import pytest
import requests

from bot.sandbox.teams_sandbox import TeamsSandbox
from tests.harness import wait_until


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    box = TeamsSandbox(tmp_path / "data", poll_interval=1)
    box.start()
    yield box
    box.stop()


def test_the_teams_page_shows_a_card_that_is_claimed_and_answered_from_it(sandbox):
    page = requests.Session()
    page.post(sandbox.url + "/customer", data={"handle": "lucia_m", "text": "my order <b>1234</b> is late"}, timeout=30)
    shown = wait_until(lambda: (text := page.get(sandbox.url, timeout=10).text) and "Claim" in text and text)
    assert "my order &lt;b&gt;1234&lt;/b&gt; is late" in shown  # the customer's text as written, never markup
    card = re.search(r"name='card' value='(\d+)'", shown)[1]
    page.post(sandbox.url + "/click", data={"card": card, "verb": "claim", "agent": "Ana Pérez"}, timeout=30)
    wait_until(lambda: "Claimed by Ana Pérez" in page.get(sandbox.url, timeout=10).text)  # the card is redrawn
    page.post(
        sandbox.url + "/say", data={"root": card, "text": "Sorry! It ships today.", "agent": "Ana Pérez"}, timeout=30
    )
    [reply] = wait_until(lambda: sandbox.x.brand_posts())
    assert reply["text"] == "Sorry! It ships today."
    assert "Sorry! It ships today." in page.get(sandbox.url, timeout=10).text
