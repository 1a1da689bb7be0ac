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
def bsky_bot(slack, x, bsky, database_url):
    """The real bot with X and, beside it, one Bluesky account pointed at the stand-in."""
    env = bot_env(
        slack,
        x,
        database_url,
        BLUESKY_HANDLE="acme.test",
        BLUESKY_APP_PASSWORD="brand-app-pass",
        BLUESKY_PDS_URL=bsky.url,
    )
    bot = RunningBot(env, slack)
    yield bot
    bot.stop()
