"""Migrations: they build exactly the models' schema, `migrate` brings any database to head, and the commands
refuse a database that is behind."""

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import SQLModel

from bot import wiring
from bot.settings import ConfigError, from_env
from storage import schema
from storage.engine import make_engine
from tests.harness import bot_env, process_env


@pytest.fixture
def engine_of():
    engines = []

    def make(url):
        engines.append(make_engine(url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def cli(args, env, cwd):
    full_env = process_env(env)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=full_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_migrations_build_exactly_the_models(database_url, engine_of):
    diff = schema.differences(engine_of(database_url))

    assert diff == [], (
        "storage/models.py and storage/migrations differ: write the next revision with "
        '`python -m storage.schema "what changed"`, read it, and commit it.\n' + "\n".join(map(str, diff))
    )


def test_every_revision_goes_down_and_up_again(database_url, engine_of):
    engine = engine_of(database_url)
    before = schema.differences(engine)
    with engine.begin() as conn:
        command.downgrade(schema.alembic_config(conn), "base")
    assert schema.status(engine).current is None
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}

    schema.upgrade(engine)

    assert schema.status(engine).up_to_date
    assert str(schema.differences(engine)) == str(before)


def test_migrate_brings_an_empty_database_to_head_once(blank_database_url, tmp_path):
    env = {"DATABASE_URL": blank_database_url}

    first = cli(["migrate"], env, tmp_path)
    out, err = first.communicate(timeout=60)
    again = cli(["migrate"], env, tmp_path)
    out_again, err_again = again.communicate(timeout=60)

    assert first.returncode == 0, err
    assert f"migrated from empty to revision {schema.head()}" in out
    assert again.returncode == 0, err_again
    assert f"up to date (revision {schema.head()})" in out_again


@pytest.mark.slow
def test_two_migrations_at_once_both_succeed(blank_database_url, tmp_path, engine_of):
    runs = [cli(["migrate"], {"DATABASE_URL": blank_database_url}, tmp_path) for _ in range(2)]
    results = [(run.wait(timeout=60), run.communicate()) for run in runs]

    assert [code for code, _ in results] == [0, 0], results
    assert schema.status(engine_of(blank_database_url)).up_to_date


@pytest.mark.slow
def test_the_commands_refuse_a_database_that_is_behind(blank_database_url, slack, x, tmp_path, engine_of):
    env = bot_env(slack, x, blank_database_url, PORT="0")
    commands = ["run", "web", "worker", "poll-once", "digest"]
    runs = {name: cli([name], env, tmp_path) for name in commands}

    for name, run in runs.items():
        try:
            _, err = run.communicate(timeout=60)
        finally:
            run.kill()
        assert run.returncode == 2, f"{name}: {err}"
        assert "run `python -m bot migrate`" in err, f"{name}: {err}"
    assert sa.inspect(engine_of(blank_database_url)).get_table_names() == []


def test_the_default_sqlite_file_is_migrated_on_first_start(slack, x, customer, tmp_path):
    env = bot_env(slack, x, "unused")
    del env["DATABASE_URL"]
    x.post(customer["id"], "@AcmeSupport hello")

    run = cli(["poll-once"], env, tmp_path)
    out, err = run.communicate(timeout=60)

    assert run.returncode == 0, err
    assert f"migrated the default SQLite database (social_inbox.db) from empty to revision {schema.head()}" in err
    assert "stored 1 new mention" in out
    assert (tmp_path / "social_inbox.db").exists()


def test_a_database_from_before_migrations_is_adopted_when_it_matches(blank_database_url, engine_of):
    engine = engine_of(blank_database_url)
    SQLModel.metadata.create_all(engine)

    before, after = schema.upgrade(engine)

    assert before.current is None and after.up_to_date


def test_a_database_from_before_migrations_that_differs_is_refused_plainly(blank_database_url, engine_of):
    engine = engine_of(blank_database_url)
    SQLModel.metadata.create_all(engine, tables=[SQLModel.metadata.tables["case"]])

    with pytest.raises(schema.SchemaError, match="no migration revision, and they differ from the models"):
        schema.upgrade(engine)
    assert schema.status(engine).current is None


def test_a_database_migrated_by_a_newer_version(database_url, engine_of, slack, x):
    engine = engine_of(database_url)
    version = sa.table("alembic_version", sa.column("version_num"))
    with engine.begin() as conn:
        conn.execute(sa.update(version).values(version_num="9999"))

    with pytest.raises(schema.SchemaError, match="newer version"):
        schema.upgrade(engine)
    # A process of the older version still starts (a rolling deploy), with a warning.
    wiring.check_schema(engine, from_env(bot_env(slack, x, database_url)))


def test_an_unreachable_database_is_named_at_start(slack, x):
    settings = from_env(bot_env(slack, x, "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"))

    with pytest.raises(ConfigError, match="DATABASE_URL: the database could not be used"):
        wiring.build_engine(settings)


@pytest.mark.postgres
def test_postgres_sessions_run_in_utc_whatever_the_server_says(database_url, engine_of):
    name = database_url.rsplit("/", 1)[1]
    with engine_of(database_url).connect() as conn:
        conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET timezone TO 'America/New_York'"))
        conn.commit()

    with engine_of(database_url).connect() as conn:
        assert conn.execute(sa.text("SHOW timezone")).scalar_one() == "UTC"
        assert (
            str(conn.execute(sa.text("SELECT date_trunc('day', TIMESTAMPTZ '2026-01-02 03:00Z')")).scalar_one())[:10]
            == "2026-01-02"
        )


def test_postgres_urls_as_hosts_give_them_get_the_driver_named():
    assert from_env({"DATABASE_URL": "postgres://u:p@db.example:5432/inbox"}).database_url == (
        "postgresql+psycopg://u:p@db.example:5432/inbox"
    )
    assert from_env({"DATABASE_URL": "postgresql://u@db/inbox"}).database_url == "postgresql+psycopg://u@db/inbox"
