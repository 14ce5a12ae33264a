"""names screened: an alert may be about a name a person chose (not only a post), and a post
records whether other nodes were ever told of it

`alert.post_id` becomes nullable, `alert.subject` says what the alert is about ("post" or
"name") and `alert.text` keeps a screened name (it stays on this node, like the alert).
`post.left_home` is set once an event about the post was recorded: a post that screening held
since it was written never left, and its deletion must not name it to partners. Existing posts
take the rule that held before (left unless held and never edited).

Revision ID: names_screened_0009
Revises: search_0005_post_text_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "names_screened_0009"
down_revision: str | None = "search_0005_post_text_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.alter_column("post_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.add_column(
            sa.Column("subject", sa.String(length=16), nullable=False, server_default="post")
        )
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
    # Not a batch operation: `post` carries the FTS5 triggers on SQLite (migration 0008).
    op.add_column(
        "post", sa.Column("left_home", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(
        "UPDATE post SET left_home = (moderation_state != 'screened' OR updated IS NOT NULL)"
    )


def downgrade() -> None:
    op.drop_column("post", "left_home")
    op.execute("DELETE FROM alert WHERE post_id IS NULL")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("text")
        batch_op.drop_column("subject")
        batch_op.alter_column("post_id", existing_type=sa.String(length=32), nullable=False)
