"""Every request to /api/messages is authenticated as the Bot Connector's requests are: a JWT signed RS256 with a
key of the OpenID metadata, for this app, from the Bot Connector's issuer, this tenant, not expired. Anything else is
refused (401; 400 for a body that is not an activity) and changes nothing."""

import json
import time

import pytest
from sqlmodel import select

from bot.sandbox.standins.bot_connector import new_rsa_key
from storage.models import Event, Message
from tests.teams.harness import INBOX, card_texts
from tests.teams.test_loop import open_case


def stored(bot):
    with bot.bridge.session() as s:
        return len(s.exec(select(Message)).all()), len(s.exec(select(Event)).all())


FORGERIES = {
    "signed with a key Teams does not publish": lambda t: t.connector_token(key=new_rsa_key()),
    "signed with another key under a published kid": lambda t: t.connector_token(key=new_rsa_key(), kid=t.kid),
    "expired an hour ago": lambda t: t.connector_token(exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200),
    "expired beyond the clock skew": lambda t: t.connector_token(exp=int(time.time()) - 400),
    "not yet valid": lambda t: t.connector_token(nbf=int(time.time()) + 3600),
    "with no expiry": lambda t: t.connector_token(exp=None),
    "for another bot": lambda t: t.connector_token(audience="99999999-0000-4000-8000-000000000000"),
    "from another issuer": lambda t: t.connector_token(iss="https://sts.windows.net/evil/"),
    "for another serviceUrl": lambda t: t.connector_token(service_url="https://smba.evil.example/teams/"),
    "HS256 with the public key as secret": lambda t: _hs256(t),
    "not a JWT at all": lambda t: "not-a-jwt",
}


def _hs256(teams):
    import base64

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'kid': teams.kid})}.{part({'aud': teams.app_id})}.c2lnbmF0dXJl"


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_a_forged_or_stale_token_is_refused_and_changes_nothing(forgery, teams_bot, teams, x, customer, ana):
    _, card = open_case(teams_bot, teams, x, customer)
    before = stored(teams_bot)
    click = teams_bot.teams.invoke(ana, card, "claim", {"verb": "claim", "case": 1}, channel=INBOX)
    answer = teams_bot.teams.send(click, token=FORGERIES[forgery](teams))
    assert answer.status_code == 401
    reply = teams_bot.teams.message(ana, "note: still here", channel=INBOX, root=card["id"])
    assert teams_bot.teams.send(reply, token=FORGERIES[forgery](teams)).status_code == 401
    assert stored(teams_bot) == before
    assert "Open — unclaimed" in card_texts(teams.post(INBOX, card["id"]))


def test_no_token_and_another_tenant_are_refused(teams_bot, teams, x, customer, ana):
    _, card = open_case(teams_bot, teams, x, customer)
    before = stored(teams_bot)
    click = teams_bot.teams.invoke(ana, card, "claim", {"verb": "claim", "case": 1}, channel=INBOX)
    assert teams_bot.teams.send(click, token=None).status_code == 401
    elsewhere = json.loads(json.dumps(click))
    elsewhere["channelData"]["tenant"]["id"] = "22222222-2222-4222-8222-222222222222"
    elsewhere["conversation"]["tenantId"] = "22222222-2222-4222-8222-222222222222"
    assert teams_bot.teams.send(elsewhere).status_code == 401  # a valid token, relayed with another tenant's click
    assert stored(teams_bot) == before


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"type": "message"}', json.dumps({"type": 5, "conversation": {"id": "x"}}).encode()],
    ids=["not JSON", "not an object", "no conversation", "a type that is not text"],
)
def test_a_malformed_activity_is_refused_with_400(body, teams_bot, teams):
    headers = {"Authorization": f"Bearer {teams.connector_token()}", "Content-Type": "application/json"}
    answer = teams_bot.teams.http.post(teams_bot.teams.endpoint, data=body, headers=headers, timeout=30)
    assert answer.status_code == 400
    assert "nothing was changed" in answer.text.lower()
