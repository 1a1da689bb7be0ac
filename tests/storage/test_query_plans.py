"""The reads every cycle makes find their rows by an index: with a year of cases kept, a poll and a mirror run cost
what they cost on the first day (bench/ingest.py measures it). Checked on the schema the migrations build."""

import pytest
from sqlalchemy import event

from storage import cases
from storage.engine import make_engine, session_scope


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _plans(engine, read) -> list[str]:
    """What the database says it does for each statement `read(session)` sends."""
    sent = []

    def before(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        with session_scope(engine, read_only=True) as s:
            read(s)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    plans = []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":  # on a near-empty table the planner would scan: is there an index?
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in sent:
            if statement.lstrip().upper().startswith("SELECT"):
                rows = conn.exec_driver_sql(explain + statement, parameters).all()
                plans.append(" | ".join(str(row[-1]) for row in rows))
    return plans


@pytest.mark.parametrize(
    ("read", "index"),
    [
        pytest.param(
            lambda s: cases.cases_with_stale_cards(s, limit=100),
            "ix_case_stale_card",  # partial: holds only the cards to redraw
            id="the cards a mirror run redraws",
        ),
        pytest.param(
            lambda s: cases.latest_cases_of_customers(
                s, network="x", account_id="1", customer_ids={"7", "8"}, kind="mention"
            ),
            "ix_case_customer",  # without it: every case of the account, then a filter
            id="the latest cases of a poll's customers",
        ),
    ],
)
def test_a_cycles_reads_of_cases_go_through_their_index_not_every_case(engine, read, index):
    plans = _plans(engine, read)
    assert plans
    assert all(index in plan for plan in plans), plans
