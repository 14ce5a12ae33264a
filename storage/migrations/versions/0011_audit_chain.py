"""audit chain: each audit entry carries the hash of the one before; member controls

The entries already there are chained in the order they were written (`at`, then `id`), and
`audit_head` is set to the last. The hash is `storage.audit.link_hash`, the same function that
chains new entries and verifies the chain (its format is part of every chain ever written).
Member controls: `mute` (people and words a member chose not to see) and `time_out` (a break).

Revision ID: audit_chain_0009
Revises: evidence_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models
from storage.audit import GENESIS, HEAD_ID, link_hash

revision: str = "audit_chain_0009"
down_revision: str | None = "evidence_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.UTCDateTime(timezone=True)


def _chain_existing_entries() -> None:
    audit = sa.table(
        "audit",
        sa.column("id", sa.String()),
        sa.column("at", UTC),
        sa.column("who", sa.String()),
        sa.column("action", sa.String()),
        sa.column("target", sa.String()),
        sa.column("via", sa.String()),
        sa.column("seq", sa.BigInteger()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(audit).order_by(audit.c.at, audit.c.id)).all()
    links, prev_hash = [], GENESIS
    for seq, row in enumerate(rows, start=1):
        digest = link_hash(
            seq=seq,
            entry_id=row.id,
            at=row.at,
            who=row.who,
            action=row.action,
            target=row.target,
            via=row.via,
            prev_hash=prev_hash,
        )
        links.append({"entry": row.id, "s": seq, "p": prev_hash, "h": digest})
        prev_hash = digest
    if links:
        bind.execute(
            audit.update()
            .where(audit.c.id == sa.bindparam("entry"))
            .values(seq=sa.bindparam("s"), prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")),
            links,
        )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(head, [{"id": HEAD_ID, "seq": len(links), "hash": prev_hash}])


def upgrade() -> None:
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f("ix_audit_seq"), ["seq"], unique=True)

    op.create_table(
        "mute",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "kind", "value"),
    )
    with op.batch_alter_table("mute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mute_person_id"), ["person_id"], unique=False)
    op.create_table(
        "time_out",
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("subnet_uris", sa.JSON(), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("until", UTC, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("time_out")
    with op.batch_alter_table("mute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mute_person_id"))
    op.drop_table("mute")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_seq"))
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
