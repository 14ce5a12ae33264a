"""one queue engine: explicit states, attempts and leases on the outbox; per-object delivery
order; Deletes heard for objects, remembered

Revision ID: 0004_workers
Revises: 0004_reads_peer_read_health
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0004_workers"
down_revision: str | None = "0004_reads_peer_read_health"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("locked_until", UTC, nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
    event = sa.table(
        "event",
        sa.column("done", sa.Boolean()),
        sa.column("state", sa.String()),
        sa.column("created_at", UTC),
        sa.column("next_attempt_at", UTC),
    )
    op.execute(event.update().where(event.c.done == sa.true()).values(state="done"))
    op.execute(event.update().values(next_attempt_at=event.c.created_at))
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("next_attempt_at", existing_type=UTC, nullable=False)
        batch_op.drop_index("ix_event_done")
        batch_op.drop_column("done")
        batch_op.create_index("ix_event_due", ["state", "next_attempt_at"], unique=False)

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("ordering_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.create_index(
            "ix_delivery_ordering", ["peer_id", "ordering_key", "state", "seq"], unique=False
        )

    op.create_table(
        "heard_delete",
        sa.Column("object_uri", sa.String(length=255), nullable=False),
        sa.Column("peer_id", sa.String(length=32), nullable=False),
        sa.Column("keep_until", UTC, nullable=False),
        sa.ForeignKeyConstraint(["peer_id"], ["peer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("object_uri"),
    )
    with op.batch_alter_table("heard_delete", schema=None) as batch_op:
        batch_op.create_index("ix_heard_delete_keep_until", ["keep_until"], unique=False)


def downgrade() -> None:
    op.drop_table("heard_delete")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_ordering")
        batch_op.drop_column("seq")
        batch_op.drop_column("ordering_key")
        batch_op.drop_column("last_error")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    event = sa.table("event", sa.column("done", sa.Boolean()), sa.column("state", sa.String()))
    op.execute(event.update().where(event.c.state != "pending").values(done=True))
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_due")
        batch_op.drop_column("last_error")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("state")
        batch_op.create_index("ix_event_done", ["done"], unique=False)
