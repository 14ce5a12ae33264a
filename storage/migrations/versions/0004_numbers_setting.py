"""numbers setting: how a subnet shows eating-disorder numbers (ours, and partners' Groups)

Revision ID: 0004_numbers_setting
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_numbers_setting"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("subnet", "remote_actor"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("numbers", sa.String(length=8), nullable=False, server_default="shown")
            )


def downgrade() -> None:
    for table in ("remote_actor", "subnet"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("numbers")
