"""lease owners: a queue row's lease names the process holding it

On PostgreSQL `locked_by` is the server process id of the claiming `sharon` process's
long-lived listening connection; when that process dies its connection goes, and its leases
are free at once instead of when `locked_until` passes (storage/queues.py).

Revision ID: lease_owners_0009
Revises: moderation_0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "lease_owners_0009"
down_revision: str | None = "moderation_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("event", "delivery", "inbox_item")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("locked_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("locked_by")
