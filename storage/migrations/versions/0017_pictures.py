"""pictures: the one picture a post written here may carry (full size and thumbnail)

Stored only at the post's home, re-encoded without metadata; deleted with the post (by its
author, a moderator, retention or erasure), and with the row when an account is erased.

Revision ID: pictures_0015
Revises: lease_owners_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pictures_0015"
down_revision: str | None = "library_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post_picture",
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("alt_text", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("thumbnail_width", sa.Integer(), nullable=False),
        sa.Column("thumbnail_height", sa.Integer(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id"),
    )


def downgrade() -> None:
    op.drop_table("post_picture")
