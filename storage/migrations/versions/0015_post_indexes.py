"""post indexes: replies by the post they answer, and the homes of a subnet's references

Indexes on `post.in_reply_to` and `post_ref.in_reply_to`, so a page's reply counts and a
thread's replies are a few grouped lookups rather than scans of every post in the subnet; and
on `post_ref (subnet_uri, peer_id, moderation_state)`, so a search finds which partner nodes
hold posts of a subnet with one index probe per node instead of reading every reference.

PostgreSQL: the words of each post are kept in a stored generated column, `post.words`
(`to_tsvector('simple', content)`, computed by the server on every write, so an erased post's
words go with its text), with a GIN index replacing `ix_post_text`. The expression index had
no statistics, so the planner guessed and walked the subnet's posts computing `to_tsvector`
for each one (about a second for a word in none of 10,000 posts); a real column gets
statistics from ANALYZE, and a plan that walks the posts reads stored words.

Revision ID: post_indexes_0015
Revises: lease_owners_0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "post_indexes_0015"
down_revision: str | None = "lease_owners_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_post_in_reply_to", "post", ["in_reply_to"]),
    ("ix_post_ref_in_reply_to", "post_ref", ["in_reply_to"]),
    ("ix_post_ref_subnet_peer", "post_ref", ["subnet_uri", "peer_id", "moderation_state"]),
)


POSTGRES_UP = (
    "ALTER TABLE post ADD COLUMN words tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED",
    "CREATE INDEX ix_post_words ON post USING gin (words)",
    "DROP INDEX IF EXISTS ix_post_text",
)
POSTGRES_DOWN = (
    "CREATE INDEX ix_post_text ON post USING gin (to_tsvector('simple', content))",
    "DROP INDEX IF EXISTS ix_post_words",
    "ALTER TABLE post DROP COLUMN IF EXISTS words",
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
