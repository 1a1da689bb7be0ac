"""Slack and Teams configured together: one web process serves POST /slack/events and POST /api/messages, cases
go to the inbox the settings name, each chat gets what is said in its channels, and the digests go to both."""

import threading

import pytest

from bot import wiring
from bot.listener_pool import ListenerPool
from bot.sandbox.standins.bot_connector import TeamsDriver
from bot.settings import from_env
from bot.web import create_server, stop_server
from tests.fakes import SlackDriver
from tests.harness import SIGNING_SECRET, bot_env, cards, click, wait_until
from tests.teams.harness import DIGEST, teams_env


@pytest.fixture
def both(slack, teams, x, database_url):
    env = {**teams_env(teams, x, database_url), **bot_env(slack, x, database_url)}
    settings = from_env(env)
    settings.require_for("run")
    bridge = wiring.build_bridge(settings)
    listeners = ListenerPool()
    app = wiring.build_app(settings, bridge, executor=listeners)
    front = wiring.build_teams_front(bridge, listeners)
    server = create_server(app, bridge.engine, 0, "127.0.0.1", threads=8, signing_secret=SIGNING_SECRET, teams=front)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}"

    class Bot:
        pass

    bot = Bot()
    bot.bridge, bot.listeners = bridge, listeners
    bot.slack = SlackDriver(slack, url + "/slack/events", SIGNING_SECRET)
    bot.teams = TeamsDriver(teams, url + "/api/messages")
    yield bot
    stop_server(server, thread)
    listeners.shutdown(wait=True)
    wiring.teams_wing(bridge).stop()
    bridge.engine.dispose()


def test_one_process_serves_both_chats_and_the_digests_go_to_both(both, slack, teams, x, customer):
    x.post(customer["id"], "@AcmeSupport where is my order?")
    both.bridge.cycle()
    [card] = cards(slack)  # without ACCOUNTS_FILE the cases are in SLACK_INBOX_CHANNEL
    click(both, "UANA", card, "case_claim")
    wait_until(lambda: "<@UANA>" in str(slack.message("C_INBOX", card["ts"])))

    ana = teams.add_user("Ana Pérez")
    personal = both.teams.personal_message(ana, "social-stats today")
    assert both.teams.send(personal).status_code in (200, 202)
    wait_until(lambda: teams.private_chat(ana["id"]))  # answered in Teams, privately

    today = both.bridge.metrics.today()
    assert both.bridge.digests.post("daily", both.bridge.digests.daily(today)).posted == ["sla", "resolution", "chart"]
    assert len([m for m in slack.messages("C_DIGEST") if "digest" in (m.get("text") or "").lower()]) >= 2
    assert len(teams.posts(DIGEST)) == 3
