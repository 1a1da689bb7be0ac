import pytest

from bot.sandbox.standins.bluesky_api import FakeBluesky
from tests.harness import RunningBot, bot_env


@pytest.fixture
def bsky():
    with FakeBluesky() as fake:
        fake.add_user("acme.test", "brand-app-pass", name="Acme Support")
        fake.add_user("carla.test", name="Carla Ruiz", followers=321)
        yield fake


@pytest.fixture
def bsky_env(slack, x, bsky, database_url) -> dict:
    """The bot's settings: X and, beside it, the stand-in's brand account acme.test."""
    return bot_env(
        slack,
        x,
        database_url,
        BLUESKY_HANDLE="acme.test",
        BLUESKY_APP_PASSWORD="brand-app-pass",
        BLUESKY_PDS_URL=bsky.url,
    )


@pytest.fixture
def bsky_bot(slack, bsky_env):
    """The real bot with X and, beside it, one Bluesky account pointed at the stand-in."""
    bot = RunningBot(bsky_env, slack)
    yield bot
    bot.stop()
