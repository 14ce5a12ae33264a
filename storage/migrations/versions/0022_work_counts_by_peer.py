"""work counts by peer: deliveries and fetches per peer host, for /metrics in any process

`work_count` gains `peer` in its key ("" for the queue and task counts already there). The
table holds a few dozen counters, so it is read, made again with the new key and written back:
the same steps on SQLite and PostgreSQL. Going down keeps only the counts without a peer.

Revision ID: work_counts_by_peer_0022
Revises: report_outcomes_0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "work_counts_by_peer_0022"
down_revision: str | None = "report_outcomes_0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ALL = "SELECT kind, name, count FROM work_count"
_WITHOUT_PEER = "SELECT kind, name, count FROM work_count WHERE peer = ''"


def _counts(query: str) -> list[tuple[str, str, int]]:
    return [(kind, name, count) for kind, name, count in op.get_bind().execute(sa.text(query))]


def _make(with_peer: bool) -> sa.Table:
    key = ["kind", "name", *(["peer"] if with_peer else [])]
    return op.create_table(
        "work_count",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        *([sa.Column("peer", sa.String(length=255), nullable=False)] if with_peer else []),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )


def upgrade() -> None:
    counts = _counts(_ALL)
    op.drop_table("work_count")
    table = _make(with_peer=True)
    op.bulk_insert(table, [{"kind": k, "name": n, "peer": "", "count": c} for k, n, c in counts])


def downgrade() -> None:
    counts = _counts(_WITHOUT_PEER)
    op.drop_table("work_count")
    table = _make(with_peer=False)
    op.bulk_insert(table, [{"kind": k, "name": n, "count": c} for k, n, c in counts])
