"""evidence: hours in which people opened a subnet, and the optional in-app survey

`subnet_visit` keeps one row per person, subnet and clock hour (never the page or anything
read), for the Evidence page's activity figures. `survey_answer` holds answers without the
person who gave them; `survey_offer` remembers only when each person was last asked.

Revision ID: evidence_0009
Revises: names_screened_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "evidence_0009"
down_revision: str | None = "names_screened_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subnet_visit",
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("subnet_uri", sa.String(length=255), nullable=False),
        sa.Column("hour", UTC, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "subnet_uri", "hour"),
    )
    op.create_index("ix_subnet_visit_subnet_hour", "subnet_visit", ["subnet_uri", "hour"])
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_survey_answer_month", "survey_answer", ["month"])
    op.create_table(
        "survey_offer",
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("offered_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("survey_offer")
    op.drop_index("ix_survey_answer_month", table_name="survey_answer")
    op.drop_table("survey_answer")
    op.drop_index("ix_subnet_visit_subnet_hour", table_name="subnet_visit")
    op.drop_table("subnet_visit")
