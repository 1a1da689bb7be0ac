import pytest

from bot.sandbox.standins.bot_connector import FakeBotConnector
from tests.teams.harness import DIGEST, INBOX, RunningTeamsBot, teams_env


@pytest.fixture
def teams_channels():
    """The team's channels: (id, name), its General channel first. A module that needs more overrides this."""
    return ((INBOX, "Social inbox"), (DIGEST, "Social digests"))


@pytest.fixture
def teams(monkeypatch, teams_channels):
    with FakeBotConnector(channels=teams_channels) as fake:
        # The stand-in's sign-in is over TLS with its own certificate, trusted the standard way (MSAL uses requests).
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_file)
        yield fake


@pytest.fixture
def make_teams_bot(teams, x, database_url):
    bots = []

    def make(**extra) -> RunningTeamsBot:
        bot = RunningTeamsBot(teams_env(teams, x, database_url, **extra), teams)
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        bot.stop()


@pytest.fixture
def teams_bot(make_teams_bot) -> RunningTeamsBot:
    return make_teams_bot()


@pytest.fixture
def ana(teams):
    return teams.add_user("Ana Pérez")


@pytest.fixture
def bruno(teams):
    return teams.add_user("Bruno Díaz")
