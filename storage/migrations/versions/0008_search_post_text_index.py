"""post text index: full-text search over the posts written here

SQLite: an FTS5 index over `post.content` (external content: the text itself stays only in
`post`), kept in step by triggers. An edit or an erasure deletes the old words and then merges
the index (`optimize`), so erased words do not linger in old index segments; with
`secure_delete` on (as `storage.posts.tombstone` sets it) the freed pages are zeroed.
PostgreSQL: a GIN expression index over `to_tsvector('simple', content)`, which follows every
write by itself.

The index is keyed by `post`'s rowid: a later migration that rebuilds `post` (a batch "move
and copy") must re-create these triggers and run `INSERT INTO post_fts(post_fts) VALUES
('rebuild')`.

Revision ID: search_0005_post_text_index
Revises: 0004_workers
"""

from collections.abc import Sequence

from alembic import op

revision: str = "search_0005_post_text_index"
down_revision: str | None = "0004_workers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE post_fts USING fts5(content, content='post', content_rowid='rowid',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER post_fts_insert AFTER INSERT ON post BEGIN"
    " INSERT INTO post_fts(rowid, content) VALUES (new.rowid, new.content); END",
    "CREATE TRIGGER post_fts_delete AFTER DELETE ON post BEGIN"
    " INSERT INTO post_fts(post_fts, rowid, content) VALUES ('delete', old.rowid, old.content);"
    " INSERT INTO post_fts(post_fts) VALUES ('optimize'); END",
    "CREATE TRIGGER post_fts_update AFTER UPDATE OF content ON post"
    " WHEN old.content IS NOT new.content BEGIN"
    " INSERT INTO post_fts(post_fts, rowid, content) VALUES ('delete', old.rowid, old.content);"
    " INSERT INTO post_fts(rowid, content) VALUES (new.rowid, new.content);"
    " INSERT INTO post_fts(post_fts) VALUES ('optimize'); END",
    "INSERT INTO post_fts(post_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS post_fts_update",
    "DROP TRIGGER IF EXISTS post_fts_delete",
    "DROP TRIGGER IF EXISTS post_fts_insert",
    "DROP TABLE IF EXISTS post_fts",
)
POSTGRES_UP = ("CREATE INDEX ix_post_text ON post USING gin (to_tsvector('simple', content))",)
POSTGRES_DOWN = ("DROP INDEX IF EXISTS ix_post_text",)


def _run(statements: Sequence[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _run(SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP)


def downgrade() -> None:
    _run(SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN)
