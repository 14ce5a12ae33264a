"""notices: what a person is told (replies, likes, moderation outcomes, joins, sharing),
when each person last opened each subnet, and each local subnet's house rules

Revision ID: notices_0009
Revises: audit_chain_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "notices_0009"
down_revision: str | None = "audit_chain_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_uri", sa.String(length=255), nullable=True),
        sa.Column("subnet_uri", sa.String(length=255), nullable=True),
        sa.Column("subnet_name", sa.String(length=200), nullable=True),
        sa.Column("actor_uri", sa.String(length=255), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("until", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("read_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_person_created", "notice", ["person_id", "created_at"])
    op.create_table(
        "last_visit",
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("visited_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "subnet_uri"),
    )
    op.create_table(
        "house_rules",
        sa.Column("subnet_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["subnet_id"], ["subnet.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subnet_id"),
    )


def downgrade() -> None:
    op.drop_table("house_rules")
    op.drop_table("last_visit")
    op.drop_index("ix_notice_person_created", table_name="notice")
    op.drop_table("notice")
