import logging
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
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


SLOW = (
    "a long proof (marked slow), left out of the default run to keep it short: `python -m pytest -m slow` runs "
    "the long proofs, as .ci/run does"
)


def pytest_collection_modifyitems(config, items):
    """`python -m pytest` runs the default suite; tests marked `slow` (multi-process, fault injection, benchmarks)
    run only when a marker expression asks for them (`-m slow`, `-m "slow or not slow"`); tests marked `postgres`
    only with --db=postgres."""
    left_out = []
    if not config.getoption("markexpr"):
        left_out.append(("slow", pytest.mark.skip(reason=SLOW)))
    if config.getoption("--db") != "postgres":
        left_out.append(("postgres", pytest.mark.skip(reason="needs PostgreSQL: run with --db=postgres")))
    for item in items:
        for keyword, skip in left_out:
            if keyword in item.keywords:
                item.add_marker(skip)


POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


_UNREACHABLE: list[str] = []  # once the server did not answer, the other tests are skipped without waiting


@contextmanager
def _postgres_database(template: str | None = None):
    """A throwaway database on the local server (a copy of `template` when given), dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    if _UNREACHABLE:
        pytest.skip(_UNREACHABLE[0])
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as err:
        _UNREACHABLE.append(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {err}")
        pytest.skip(_UNREACHABLE[0])
    name = f"sib_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    finally:
        _DROPS.submit(_drop_database, name)


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# A DROP DATABASE waits for a checkpoint (about half a second): done in the background, while the next test runs.
_DROPS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")


@pytest.fixture(scope="session", autouse=True)
def _databases_dropped_at_the_end():
    yield
    _DROPS.shutdown(wait=True)


@pytest.fixture(autouse=True)
def _logging_left_as_found():
    """A sandbox run in the test's process sets logging up as a command does (bot.logs.configure): a handler on
    the test's captured stderr, closed once the test ends. Left in place, every later test's log line printed a
    "--- Logging error ---" instead."""
    root = logging.getLogger()
    handlers, level = set(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers and type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    root.setLevel(level)


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
