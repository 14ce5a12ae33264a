"""The node's work counters (`work_count`): added to by every process, read by `/metrics`."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import insert_or
from storage.models import WorkCount


async def add_work_counts(s: AsyncSession, counts: Mapping[tuple[str, str, str], int]) -> None:
    """Add each `(kind, name, peer)` count to its row, creating the row if new. Rows are
    written in key order, so two processes adding at once on PostgreSQL cannot deadlock."""
    if not counts:
        return
    statement = insert_or(s, WorkCount).values(
        [
            {"kind": kind, "name": name, "peer": peer, "count": n}
            for (kind, name, peer), n in sorted(counts.items())
        ]
    )
    await s.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "name", "peer"],
            set_={"count": WorkCount.count + statement.excluded.count},
        )
    )


async def work_counts(s: AsyncSession) -> dict[tuple[str, str, str], int]:
    rows = await s.execute(select(WorkCount.kind, WorkCount.name, WorkCount.peer, WorkCount.count))
    return {(kind, name, peer): int(count) for kind, name, peer, count in rows}
