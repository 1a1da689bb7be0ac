"""A network's kept session holds its tokens: a write of it that fails must not quote them in the error, which is
logged (and printed by `doctor`) wherever it is caught."""

import traceback

import pytest
from sqlalchemy.exc import SQLAlchemyError

from storage.engine import make_engine
from storage.network_sessions import KeptSessions
from tests.db_hazards import read_only

TOKENS = '{"accessJwt": "eyJhbGciOiJFUzI1NksifQ.%s.c2lnbmF0dXJl", "refreshJwt": "eyJyZWZyZXNoIjoidG9rZW4ifQ.%s"}'


def test_a_session_that_cannot_be_saved_is_not_quoted_in_the_error(database_url):
    first = make_engine(database_url)
    KeptSessions(first).save("bluesky", "brand.example.com", TOKENS % ("first", "first"))
    first.dispose()

    with read_only(database_url):
        engine = make_engine(database_url)  # connections opened now see the database read-only
        try:
            with pytest.raises(SQLAlchemyError) as failed:
                KeptSessions(engine).save("bluesky", "brand.example.com", TOKENS % ("refreshed", "refreshed"))
        finally:
            engine.dispose()

    logged = "".join(traceback.format_exception_only(failed.value)) + repr(failed.value)  # what a log line shows
    assert "read" in logged.lower()  # it still says what went wrong
    for secret in ("refreshed", "eyJ", "accessJwt"):
        assert secret not in logged
