import os
import uuid

import pytest

from tests.fakes import FakeSlack, FakeX
from tests.harness import RunningBot, bot_env


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("TEST_DB", "sqlite"),
        help="database the suite runs on (postgres: a throwaway database on the local server)",
    )


POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def database_url(request, tmp_path):
    if request.config.getoption("--db") == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as err:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {err}")
    name = f"sib_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def x():
    with FakeX() as fake:
        yield fake


@pytest.fixture
def make_bot(slack, x, database_url):
    bots = []

    def make(**extra) -> RunningBot:
        bot = RunningBot(bot_env(slack, x, database_url, **extra), slack)
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        bot.stop()


@pytest.fixture
def bot(make_bot) -> RunningBot:
    return make_bot()


@pytest.fixture
def customer(x):
    return x.add_user("maria_g", "María García", followers=1234, location="Madrid")
