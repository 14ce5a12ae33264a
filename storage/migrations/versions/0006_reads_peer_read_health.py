"""peer read health: failed fetches of content and documents, counted per peer

Revision ID: 0004_reads_peer_read_health
Revises: 0004_crisis
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0004_reads_peer_read_health"
down_revision: str | None = "0004_crisis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("peer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fetch_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("last_fetch_failure_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("last_fetch_error", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peer", schema=None) as batch_op:
        batch_op.drop_column("last_fetch_error")
        batch_op.drop_column("last_fetch_failure_at")
        batch_op.drop_column("fetch_failures")
