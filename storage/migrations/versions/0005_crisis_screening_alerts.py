"""crisis screening: screening results on posts, subnet audience and concern holds, alerts,
notes, on-duty staff and paging-webhook calls

Revision ID: 0004_crisis
Revises: 0004_numbers_setting
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0004_crisis"
down_revision: str | None = "0004_numbers_setting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def _audience_columns(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sa.String(length=16), nullable=False, server_default="adults")
        )
        batch_op.add_column(
            sa.Column("hold_concern", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def upgrade() -> None:
    _audience_columns("subnet")
    _audience_columns("remote_actor")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "screening_level", sa.String(length=16), nullable=False, server_default="none"
            )
        )
        batch_op.add_column(
            sa.Column("screening_categories", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("screening_score", sa.Float(), nullable=False, server_default="0")
        )
    op.create_table(
        "alert",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("acknowledged_by", sa.String(length=32), nullable=True),
        sa.Column("escalated_at", UTC, nullable=True),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.Column("resolved_by", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resolved_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_alert_state", ["state", "created_at"], unique=False)
    op.create_table(
        "alert_note",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_note_alert_id"), ["alert_id"], unique=False)
    op.create_table(
        "on_duty",
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("since", UTC, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "page",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("locked_until", UTC, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("done_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index("ix_page_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_table("page")
    op.drop_table("on_duty")
    op.drop_table("alert_note")
    op.drop_table("alert")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("screening_score")
        batch_op.drop_column("screening_categories")
        batch_op.drop_column("screening_level")
    for table in ("remote_actor", "subnet"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("hold_concern")
            batch_op.drop_column("audience")
