"""Revision 0005 renames the Slack-named columns and adds the reply keys: a database at 0004 with cases and replies
in it reads the same afterwards, on SQLite (batch mode) and PostgreSQL."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from storage import replies, schema
from storage.engine import make_engine
from storage.models import Case, Message

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(blank_database_url):
    engine = make_engine(blank_database_url)
    yield engine
    engine.dispose()


def _message(case_id, direction, **columns):
    row = {
        "case_id": case_id,
        "direction": direction,
        "network": "x",
        "author_id": "",
        "author_handle": "",
        "author_name": "",
        "text": columns.pop("text"),
        "posted_at": AT,
        "stored_at": AT,
        "attempts": 0,
    }
    return {**row, **columns}


def test_a_database_at_0004_with_cases_and_replies_reads_the_same_at_0005(engine):
    with engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), "0004")
    meta = sa.MetaData()
    meta.reflect(engine)
    case_table, message_table = meta.tables["case"], meta.tables["message"]
    with engine.begin() as conn:
        conn.execute(
            case_table.insert(),
            {
                "id": 7,
                "network": "x",
                "account_id": "1",
                "conversation_id": "100",
                "customer_id": "55",
                "customer_handle": "maria_g",
                "customer_name": "María",
                "campaign": "spring",
                "kind": "mention",
                "status": "claimed",
                "owner": "UANA",
                "opened_at": AT,
                "channel": "C_INBOX",
                "thread_ts": "1800000000.000100",
                "card_rev": 3,
                "card_synced_rev": 3,
            },
        )
        for row in [
            _message(7, "in", id=1, post_id="100", text="my parcel?", mirror_ts="1800000000.000100"),
            _message(
                7,
                "out",
                id=2,
                text="On its way!",
                slack_channel="C_INBOX",
                slack_ts="1800000000.000200",
                notice_ts="1800000000.000300",
                agent="UANA",
                state="sent",
                post_id="200",
            ),
            _message(7, "out", id=3, text="Saved words", slack_channel="C_INBOX", slack_ts="saved:click-1"),
            _message(7, "out", id=4, text="Edited words", slack_channel="C_INBOX", slack_ts="1800000000.000200:edit1"),
        ]:
            conn.execute(message_table.insert(), row)

    before, after = schema.upgrade(engine)

    assert (before.current, after.current) == ("0004", schema.head())
    assert schema.differences(engine) == []
    with Session(engine) as s:
        case = s.get(Case, 7)
        assert (case.chat, case.channel, case.thread_id, case.owner, case.card_rev) == (
            "slack",
            "C_INBOX",
            "1800000000.000100",
            "UANA",
            3,
        )
        rows = {m.id: m for m in s.exec(select(Message).order_by(Message.id))}
        assert rows[1].mirror_id == "1800000000.000100" and rows[1].dedupe_key is None
        typed = rows[2]
        assert (typed.chat_channel, typed.chat_message_id, typed.notice_id, typed.state, typed.post_id) == (
            "C_INBOX",
            "1800000000.000200",
            "1800000000.000300",
            "sent",
            "200",
        )
        assert typed.dedupe_key == "msg:C_INBOX:1800000000.000200"
        # a saved reply and a repost were never messages of the chat: only their keys say where they came from
        assert (rows[3].chat_message_id, rows[3].dedupe_key) == (None, "saved:click-1")
        assert (rows[4].chat_message_id, rows[4].dedupe_key) == (None, "msg:C_INBOX:1800000000.000200:edit1")
        assert replies.reply_for_chat_message(s, channel="C_INBOX", message_id="1800000000.000200").id == 2
        assert replies.count_with_key(s, key="msg:C_INBOX:1800000000.000200") == 2


def test_0005_goes_down_to_the_old_names_with_the_rows(engine):
    schema.upgrade(engine)
    with Session(engine) as s:
        s.add(
            Case(id=1, account_id="1", conversation_id="1", customer_id="1", opened_at=AT, channel="C", thread_id="1.1")
        )
        s.flush()
        reply = {"case_id": 1, "direction": "out", "text": "t", "posted_at": AT, "stored_at": AT, "chat_channel": "C"}
        s.add(Message(id=1, chat_message_id="2.2", dedupe_key="msg:C:2.2", **reply))
        s.add(Message(id=2, dedupe_key="saved:k", **reply))
        s.commit()

    with engine.begin() as conn:
        command.downgrade(schema.alembic_config(conn), "0004")

    with engine.connect() as conn:
        assert conn.execute(sa.text('SELECT thread_ts FROM "case"')).scalar_one() == "1.1"
        assert conn.execute(sa.text("SELECT slack_ts FROM message ORDER BY id")).scalars().all() == ["2.2", "saved:k"]
