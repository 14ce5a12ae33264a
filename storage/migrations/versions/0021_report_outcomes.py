"""report outcomes: what a moderator decided about a reported post; posts a moderator hid

A report closed as reviewed keeps the outcome (`hidden`, `shown`, `removed`, or `deleted` by
its author), wherever the decision was heard. A post a moderator hid on purpose is `withheld`:
that hide was the review, so nothing waits. Hidden posts whose reports were all reviewed (a
moderator hid them before this revision) become `withheld`; automatic hides stay `hidden`.

Revision ID: report_outcomes_0020
Revises: work_counts_0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "report_outcomes_0020"
down_revision: str | None = "work_counts_0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REF_REVIEWED = """
UPDATE post_ref SET moderation_state = 'withheld'
WHERE moderation_state = 'hidden'
  AND EXISTS (SELECT 1 FROM report WHERE report.object_uri = post_ref.object_uri
              AND report.state = 'reviewed')
  AND NOT EXISTS (SELECT 1 FROM report WHERE report.object_uri = post_ref.object_uri
                  AND report.state = 'open')
"""
_POST_REVIEWED = """
UPDATE post SET moderation_state = 'withheld'
WHERE moderation_state = 'hidden'
  AND EXISTS (SELECT 1 FROM report WHERE report.object_uri LIKE '%/posts/' || post.id
              AND report.state = 'reviewed')
  AND NOT EXISTS (SELECT 1 FROM report WHERE report.object_uri LIKE '%/posts/' || post.id
                  AND report.state = 'open')
"""


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
    op.execute(_REF_REVIEWED)
    op.execute(_POST_REVIEWED)  # a post of ours: its URI ends in /posts/<id>


def downgrade() -> None:
    op.execute(
        "UPDATE post_ref SET moderation_state = 'hidden' WHERE moderation_state = 'withheld'"
    )
    op.execute("UPDATE post SET moderation_state = 'hidden' WHERE moderation_state = 'withheld'")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("outcome")
