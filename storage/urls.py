"""Which database URLs the bridge accepts, and how one is shown: its password never, always as ***."""

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

ACCEPTED = (
    "sqlite:///FILE.db (one process; sqlite:////abs/path.db for an absolute path) or "
    "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE (several; postgres:// and postgresql:// are taken as that)"
)
DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}  # the drivers the bridge is built and tested with


class UnusableURL(ValueError):
    """The URL cannot be used; the message says why, without the URL."""


def normalize(url: str) -> str:
    """The URL as the engine needs it (hosts hand out postgres:// URLs; SQLAlchemy needs psycopg 3 named), or
    UnusableURL. Nothing is connected to."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            url = "postgresql+psycopg://" + url[len(bare) :]
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise UnusableURL("is not a database URL") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in DRIVERS:
        raise UnusableURL(f"names the database {backend!r}, which the bridge does not use")
    try:
        dialect = parsed.get_dialect()
        driver = dialect.driver
        dialect.import_dbapi()
    except NoSuchModuleError:
        raise UnusableURL(f"names the driver {driver!r}, which SQLAlchemy does not know") from None
    except ImportError:
        raise UnusableURL(f"names the driver {driver!r}, which is not installed") from None
    if driver != DRIVERS[backend]:
        raise UnusableURL(f"names the driver {driver!r}; the bridge uses {DRIVERS[backend]}")
    if backend == "sqlite":
        path = parsed.database or ""
        folder = Path(path).parent
        if path and path != ":memory:" and not path.startswith("file:") and not folder.is_dir():
            raise UnusableURL(f"names a SQLite file in {folder}, a folder that does not exist")
    return url


def hide_password(url: str) -> str:
    """The URL as it may be shown: a password becomes ***, even in a URL that does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        head, at, tail = url.rpartition("@")
        if not at:
            return url
        scheme, sep, credentials = head.rpartition("//")
        user, colon, _ = credentials.partition(":")
        return f"{scheme}{sep}{user}:***@{tail}" if colon else url
