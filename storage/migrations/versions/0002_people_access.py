"""people and access: invitations, sign-in throttling, recovery codes, password resets,
avatars, TOTP replay guard, two-step sessions

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", UTC, nullable=False),
        sa.Column("locked_until", UTC, nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "invitation",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("subnet_slugs", sa.JSON(), nullable=False),
        sa.Column("real_name", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.Column("used_by", sa.String(length=32), nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["used_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sa.UniqueConstraint("code_hash"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_created_by"), ["created_by"], unique=False)
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_person_id"), ["person_id"], unique=False)
    op.create_table(
        "password_reset",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("password_reset", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_reset_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("password_reset")
    op.drop_table("recovery_code")
    op.drop_table("invitation")
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_column("verified")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("avatar")
