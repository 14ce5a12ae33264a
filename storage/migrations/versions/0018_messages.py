"""messages: care teams, private conversations and their messages, the stated reply time, a
subnet's peer-messages switch and alerts about messages

Revision ID: messages_0015
Revises: lease_owners_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "messages_0015"
down_revision: str | None = "pictures_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "care_team_member",
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("clinician_id", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=True),
        sa.Column("added_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["clinician_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("person_id", "clinician_id"),
    )
    op.create_index(
        "ix_care_team_member_clinician_id", "care_team_member", ["clinician_id"], unique=False
    )
    op.create_table(
        "conversation",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("other_id", sa.String(length=32), nullable=True),
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_message_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_conversation_pair", "conversation", ["person_id", "kind", "other_id"], unique=False
    )
    op.create_index("ix_conversation_other_id", "conversation", ["other_id"], unique=False)
    op.create_table(
        "message",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("screening_level", sa.String(length=16), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_message_conversation", "message", ["conversation_id", "created_at"], unique=False
    )
    op.create_index("ix_message_author_id", "message", ["author_id"], unique=False)
    op.create_table(
        "conversation_read",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("read_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id", "person_id"),
    )
    op.create_index(
        "ix_conversation_read_person_id", "conversation_read", ["person_id"], unique=False
    )
    op.create_table(
        "messaging_setting",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("reply_time", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("subnet", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("peer_messages", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_alert_message_id", ["message_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_alert_message_id", "message", ["message_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_message_id", type_="foreignkey")
        batch_op.drop_index("ix_alert_message_id")
        batch_op.drop_column("message_id")
    with op.batch_alter_table("subnet", schema=None) as batch_op:
        batch_op.drop_column("peer_messages")
    op.drop_table("messaging_setting")
    op.drop_table("conversation_read")
    op.drop_table("message")
    op.drop_table("conversation")
    op.drop_table("care_team_member")
