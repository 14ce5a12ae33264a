"""journals (entries, mood, tags; alerts about shared entries) and learning spaces

Revision ID: journal_learning_0015
Revises: lease_owners_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "journal_learning_0015"
down_revision: str | None = "messages_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journal_entry",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("written_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=True),
        sa.Column("shared_at", UTC, nullable=True),
        sa.Column("screening_level", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_journal_entry_person_written", "journal_entry", ["person_id", "written_at"])
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("journal_entry_id", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_alert_journal_entry_id", ["journal_entry_id"])
        batch_op.create_foreign_key(
            "fk_alert_journal_entry_id",
            "journal_entry",
            ["journal_entry_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.add_column(
        "subnet",
        sa.Column("kind", sa.String(length=16), nullable=False, server_default="support"),
    )
    op.add_column(
        "remote_actor",
        sa.Column("subnet_kind", sa.String(length=16), nullable=False, server_default="support"),
    )


def downgrade() -> None:
    with op.batch_alter_table("remote_actor", schema=None) as batch_op:
        batch_op.drop_column("subnet_kind")
    with op.batch_alter_table("subnet", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_journal_entry_id", type_="foreignkey")
        batch_op.drop_index("ix_alert_journal_entry_id")
        batch_op.drop_column("journal_entry_id")
    op.drop_index("ix_journal_entry_person_written", table_name="journal_entry")
    op.drop_table("journal_entry")
