"""subnet federation: share offers, reactions, erasures, post moderation and tombstones

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("subnet", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("join_approval", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "moderation_state", sa.String(length=16), nullable=False, server_default="visible"
            )
        )
        batch_op.add_column(sa.Column("deleted_at", UTC, nullable=True))
    with op.batch_alter_table("remote_actor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("posting_policy", sa.String(length=16), nullable=False, server_default="all")
        )
        batch_op.add_column(
            sa.Column("premoderation", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "persona",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "subnet_uri"),
    )
    with op.batch_alter_table("persona", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_persona_person_id"), ["person_id"], unique=False)
    op.create_table(
        "share_offer",
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("peer_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("invite_id", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("answered_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["peer_id"], ["peer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subnet_uri"),
    )
    with op.batch_alter_table("share_offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_offer_peer_id"), ["peer_id"], unique=False)
    op.create_table(
        "reaction",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("object_uri", sa.String(length=255), nullable=False),
        sa.Column("actor_uri", sa.String(length=255), nullable=False),
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("object_uri", "actor_uri"),
    )
    with op.batch_alter_table("reaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reaction_object_uri"), ["object_uri"], unique=False)
        batch_op.create_index(batch_op.f("ix_reaction_subnet_uri"), ["subnet_uri"], unique=False)
    op.create_table(
        "erasure",
        sa.Column("object_uri", sa.String(length=255), nullable=False),
        sa.Column("peer_id", sa.String(length=32), nullable=False),
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("actor_uri", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_sent_at", UTC, nullable=False),
        sa.Column("acked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["peer_id"], ["peer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("object_uri", "peer_id"),
    )
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_acked_at"), ["acked_at"], unique=False)


def downgrade() -> None:
    op.drop_table("erasure")
    op.drop_table("reaction")
    op.drop_table("share_offer")
    op.drop_table("persona")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("moderation_state")
    with op.batch_alter_table("remote_actor", schema=None) as batch_op:
        batch_op.drop_column("premoderation")
        batch_op.drop_column("posting_policy")
    with op.batch_alter_table("subnet", schema=None) as batch_op:
        batch_op.drop_column("join_approval")
