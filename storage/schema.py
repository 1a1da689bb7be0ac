"""The schema's version: Alembic revisions under storage/migrations, applied and checked from code (no alembic.ini)."""

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# Two `migrate` runs at once on PostgreSQL (two release steps, a person and a deploy) take turns on this key.
MIGRATE_LOCK_KEY = 5_117_500_213


class SchemaError(Exception):
    """The database cannot be brought to the models' schema by the migrations alone."""


@dataclass(frozen=True)
class Status:
    current: str | None  # the database's revision; None when it has none (empty, or from before migrations)
    head: str  # the revision this code needs

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def known(self) -> bool:
        """False when the database was migrated by a newer version of the code."""
        return self.current is None or self.current in _revisions()


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _revisions() -> set[str]:
    return {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def status(engine: Engine) -> Status:
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return Status(current=current, head=head())


def upgrade(engine: Engine) -> tuple[Status, Status]:
    """Bring the database to head in one transaction; returns the status before and after."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK_KEY})
        before = Status(current=MigrationContext.configure(conn).get_current_revision(), head=head())
        if before.current is None and _has_tables(conn):
            _adopt(conn)
        else:
            command.upgrade(alembic_config(conn), "head")
    return before, status(engine)


def differences(engine: Engine) -> list:
    """What the database lacks or has beyond the models (Alembic's autogenerate diff); [] when they match."""
    with engine.connect() as conn:
        return _diff(conn)


def _diff(conn: Connection) -> list:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, SQLModel.metadata)


def _has_tables(conn: Connection) -> bool:
    return bool(set(inspect(conn).get_table_names()) & set(SQLModel.metadata.tables))


def _adopt(conn: Connection) -> None:
    """A database created before migrations existed: stamped as head when its tables match the models exactly."""
    diff = _diff(conn)
    if diff:
        raise SchemaError(
            "the database has tables but no migration revision, and they differ from the models: "
            + "; ".join(str(d) for d in diff[:10])
        )
    command.stamp(alembic_config(conn), "head")
    log.info("existing tables match the models: database stamped at revision %s", head())
