"""neutral chat names (thread_id, mirror_id, chat_channel, chat_message_id, notice_id); case.chat; reply dedupe keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:45:00

Every row is kept: the columns are renamed, a case's chat is the one chat there was ("slack"), and a reply's
idempotency key is what it was keyed by before: `msg:<channel>:<ts>` for a typed message (its reposts adding
`:editN`), the click's `saved:<key>` for a saved reply. Those two were never messages of the chat, so their
chat_message_id is cleared.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_RENAMES = {"thread_ts": "thread_id"}
MESSAGE_RENAMES = {
    "mirror_ts": "mirror_id",
    "slack_channel": "chat_channel",
    "slack_ts": "chat_message_id",
    "notice_ts": "notice_id",
}


def _rename(table: str, renames: dict[str, str]) -> None:
    # In place (SQLite 3.25+ renames a column and what refers to it): copying "case" would trip the messages'
    # foreign keys, which the engine turns on.
    with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
        for old, new in renames.items():
            batch_op.alter_column(old, new_column_name=new, existing_type=sa.String())


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_unmirrored")
    _rename("case", CASE_RENAMES)
    _rename("message", MESSAGE_RENAMES)
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chat", sqlmodel.sql.sqltypes.AutoString(), server_default="slack", nullable=False)
        )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index("ix_message_unmirrored", ["direction", "mirror_id"], unique=False)

    message = sa.table(
        "message",
        sa.column("chat_channel", sa.String),
        sa.column("chat_message_id", sa.String),
        sa.column("dedupe_key", sa.String),
    )
    made_up = sa.or_(message.c.chat_message_id.like("saved:%"), message.c.chat_message_id.like("%:edit%"))
    saved = message.c.chat_message_id.like("saved:%")
    op.execute(
        message.update()
        .where(message.c.chat_message_id.is_not(None))
        .values(
            dedupe_key=sa.case(
                (saved, message.c.chat_message_id),
                else_=sa.literal("msg:") + message.c.chat_channel + sa.literal(":") + message.c.chat_message_id,
            )
        )
    )
    op.execute(message.update().where(made_up).values(chat_message_id=None))

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_message_dedupe_key", ["dedupe_key"])


def downgrade() -> None:
    message = sa.table(
        "message",
        sa.column("chat_channel", sa.String),
        sa.column("chat_message_id", sa.String),
        sa.column("dedupe_key", sa.String),
    )
    # The made-up timestamps come back from the keys: `saved:<key>`, and `<ts>:editN` after `msg:<channel>:`.
    prefix = sa.literal("msg:") + message.c.chat_channel + sa.literal(":")
    op.execute(
        message.update()
        .where(message.c.chat_message_id.is_(None), message.c.dedupe_key.like("saved:%"))
        .values(chat_message_id=message.c.dedupe_key)
    )
    op.execute(
        message.update()
        .where(message.c.chat_message_id.is_(None), message.c.dedupe_key.like("msg:%"))
        .values(chat_message_id=sa.func.substr(message.c.dedupe_key, sa.func.length(prefix) + 1))
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_constraint("uq_message_dedupe_key", type_="unique")
        batch_op.drop_index("ix_message_unmirrored")
        batch_op.drop_column("dedupe_key")
    with op.batch_alter_table("case", schema=None, recreate="never") as batch_op:  # in place, as in _rename
        batch_op.drop_column("chat")
    _rename("message", {new: old for old, new in MESSAGE_RENAMES.items()})
    _rename("case", {new: old for old, new in CASE_RENAMES.items()})
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index("ix_message_unmirrored", ["direction", "mirror_ts"], unique=False)
