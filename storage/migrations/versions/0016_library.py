"""library: each subnet's resource library, First Step subnets, counted reads

Revision ID: library_0015
Revises: lease_owners_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "library_0015"
down_revision: str | None = "post_indexes_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "first_step",
        sa.Column("subnet_id", sa.String(length=32), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("what_to_expect", sa.Text(), nullable=False),
        sa.Column("expected_wait", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["subnet_id"], ["subnet.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subnet_id"),
    )
    op.create_table(
        "library_resource",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subnet_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("section", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("retired_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["subnet_id"], ["subnet.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_library_resource_subnet", "library_resource", ["subnet_id", "position"])
    op.create_table(
        "library_reader",
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("reader_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["library_resource.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id", "reader_key"),
    )


def downgrade() -> None:
    op.drop_table("library_reader")
    op.drop_index("ix_library_resource_subnet", table_name="library_resource")
    op.drop_table("library_resource")
    op.drop_table("first_step")
