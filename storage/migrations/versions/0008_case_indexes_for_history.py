"""indexes that keep a poll and a mirror run as fast with a year of cases as with none

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STALE_CARD = "thread_id IS NOT NULL AND card_synced_rev < card_rev"


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index("ix_case_customer", ["network", "account_id", "customer_id", "kind"], unique=False)
        batch_op.create_index(
            "ix_case_stale_card",
            ["id"],
            unique=False,
            sqlite_where=sa.text(STALE_CARD),
            postgresql_where=sa.text(STALE_CARD),
        )


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_stale_card")
        batch_op.drop_index("ix_case_customer")
