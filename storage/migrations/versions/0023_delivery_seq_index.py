"""delivery seq index: numbering new deliveries reads the highest `seq` from an index

`queues.add_deliveries` asks `max(seq)` for every planned batch; with `seq` only the last column
of `ix_delivery_ordering` that read every delivery ever made (14 ms at 300,000 rows, growing
with the table). An index led by `seq` answers it in one step
(tests/storage/test_query_plans.py).

Revision ID: delivery_seq_index_0023
Revises: work_counts_by_peer_0022
"""

from collections.abc import Sequence

from alembic import op

revision: str = "delivery_seq_index_0023"
down_revision: str | None = "work_counts_by_peer_0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_delivery_seq", "delivery", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_delivery_seq", table_name="delivery")
