"""reports of posts, sanctions (warnings, suspensions, posting holds), edited references

Revision ID: moderation_0010
Revises: notices_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "moderation_0010"
down_revision: str | None = "notices_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "report",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("object_uri", sa.String(length=255), nullable=False),
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reporter_key", sa.String(length=64), nullable=False),
        sa.Column("reporter_id", sa.String(length=32), nullable=True),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("reviewed_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["reporter_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("object_uri", "reporter_key"),
    )
    op.create_index("ix_report_object_uri", "report", ["object_uri"])
    op.create_index("ix_report_author_id", "report", ["author_id"])
    op.create_index("ix_report_state", "report", ["state", "created_at"])
    op.create_table(
        "sanction",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("member_uri", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("lifted_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sanction_member", "sanction", ["member_uri", "kind"])
    op.create_index("ix_sanction_person_id", "sanction", ["person_id"])
    op.add_column("post_ref", sa.Column("updated", UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("post_ref", schema=None) as batch_op:
        batch_op.drop_column("updated")
    op.drop_table("sanction")
    op.drop_table("report")
