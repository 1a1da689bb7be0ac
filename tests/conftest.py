import os
import shutil
import uuid
from contextlib import contextmanager

import pytest

from storage import schema
from storage.engine import make_engine
from tests.fakes import FakeSlack, FakeX
from tests.harness import RunningBot, bot_env


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("TEST_DB", "sqlite"),
        help="database the suite runs on (postgres: a throwaway database on the local server)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--db") == "postgres":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with --db=postgres")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def _postgres_database(template: str | None = None):
    """A throwaway database on the local server (a copy of `template` when given), dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as err:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {err}")
    name = f"sib_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        schema.upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(request, tmp_path_factory):
    """A database brought to head once per session by the migrations (as `python -m bot migrate` does); each
    test's database is a copy of it."""
    if request.config.getoption("--db") == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        _migrate(f"sqlite:///{path}")
        yield str(path)
        return
    with _postgres_database() as url:
        _migrate(url)
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def blank_database_url(request, tmp_path):
    """A new, empty database: no tables, no revision."""
    if request.config.getoption("--db") == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    with _postgres_database() as url:
        yield url


@pytest.fixture
def database_url(request, tmp_path, migrated_template):
    """A new database at the migrations' head."""
    if request.config.getoption("--db") == "sqlite":
        shutil.copyfile(migrated_template, tmp_path / "bot.db")
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    with _postgres_database(template=migrated_template) as url:
        yield url


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
