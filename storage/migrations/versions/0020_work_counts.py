"""work counts: what the background work has done, for /metrics in any process

Revision ID: work_counts_0020
Revises: journal_learning_0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "work_counts_0020"
down_revision: str | None = "journal_learning_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_count",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name"),
    )


def downgrade() -> None:
    op.drop_table("work_count")
