"""The outbox (`event`), outbound `delivery` and inbound `inbox_item` queues.

Each queue row is a small state machine: workers *claim* due rows by taking a lease
(`locked_until`), do the work outside the transaction, then record the outcome. On PostgreSQL
claims use `FOR UPDATE SKIP LOCKED`, so several `sharon serve` processes never take the same
row; on SQLite the single writer serialises claims. A crash leaves a lease that simply expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Event, InboxItem


async def add_event(s: AsyncSession, kind: str, payload: dict[str, Any], now: datetime) -> None:
    s.add(Event(kind=kind, payload=payload, created_at=now))


async def claim_events(s: AsyncSession, limit: int) -> Sequence[Event]:
    query = select(Event).where(Event.done.is_(False)).order_by(Event.id).limit(limit)
    if s.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await s.scalars(query)).all()


async def mark_events_done(s: AsyncSession, events: Sequence[Event]) -> None:
    for event in events:
        event.done = True


async def add_deliveries(s: AsyncSession, rows: Sequence[Delivery]) -> None:
    s.add_all(rows)


def _due(model: type[Delivery] | type[InboxItem], now: datetime) -> Any:
    return (
        (model.state == "pending")
        & (model.next_attempt_at <= now)
        & or_(model.locked_until.is_(None), model.locked_until <= now)
    )


async def _claim(
    s: AsyncSession, query: Any, now: datetime, lease: timedelta
) -> Sequence[Delivery] | Sequence[InboxItem]:
    """Run a query for due rows and lease them; PostgreSQL skips rows another worker holds."""
    if s.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await s.scalars(query)).all()
    for row in rows:
        row.locked_until = now + lease
    return rows


async def claim_deliveries(
    s: AsyncSession,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_peers: Sequence[str] = (),
    peer_id: str | None = None,
) -> Sequence[Delivery]:
    """Lease up to `limit` pending deliveries, oldest first: those due (not to `skip_peers`), or
    with `peer_id` that peer's oldest whether due or not (a probe of a dead peer)."""
    if peer_id is not None:
        query = select(Delivery).where(
            Delivery.peer_id == peer_id,
            Delivery.state == "pending",
            or_(Delivery.locked_until.is_(None), Delivery.locked_until <= now),
        )
    else:
        query = select(Delivery).where(_due(Delivery, now))
    if skip_peers:
        query = query.where(Delivery.peer_id.not_in(skip_peers))
    return await _claim(s, query.order_by(Delivery.next_attempt_at).limit(limit), now, lease)  # type: ignore[return-value]


async def finish_deliveries(s: AsyncSession, outcomes: Sequence[dict[str, Any]]) -> None:
    """Record many delivery outcomes at once (each a dict of `id` and the new values)."""
    if outcomes:
        await s.execute(update(Delivery), list(outcomes))


async def release_deliveries(s: AsyncSession, peer_id: str, now: datetime) -> None:
    """Make a peer's whole pending backlog due now (it has come back)."""
    await s.execute(
        update(Delivery)
        .where(Delivery.peer_id == peer_id, Delivery.state == "pending")
        .values(next_attempt_at=now)
    )


async def add_inbox_items(s: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert inbound activities, skipping ids already seen; returns the ids that were new.

    One cached statement run for many parameter sets (SQLAlchemy batches them into few
    multi-row INSERTs), rather than a new statement compiled for every burst."""
    if not rows:
        return set()
    insert = pg_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
    result = await s.execute(
        insert(InboxItem)
        .on_conflict_do_nothing(index_elements=["activity_id"])
        .returning(InboxItem.activity_id),
        list(rows),
    )
    return set(result.scalars().all())


async def claim_inbox_items(
    s: AsyncSession, now: datetime, lease: timedelta, limit: int
) -> Sequence[InboxItem]:
    """Lease up to `limit` due inbound activities, in the order they arrived."""
    query = (
        select(InboxItem).where(_due(InboxItem, now)).order_by(InboxItem.received_at).limit(limit)
    )
    return await _claim(s, query, now, lease)  # type: ignore[return-value]


async def finish_inbox_items(
    s: AsyncSession, items: Sequence[tuple[str, int]], *, state: str, now: datetime
) -> None:
    """Record one outcome for many items at once: `(item id, attempts so far)` each."""
    if not items:
        return
    await s.execute(
        update(InboxItem),
        [
            {
                "id": item_id,
                "state": state,
                "attempts": attempts,
                "next_attempt_at": now,
                "locked_until": None,
                "last_error": None,
            }
            for item_id, attempts in items
        ],
    )


async def finish_inbox_item(
    s: AsyncSession,
    item_id: str,
    *,
    state: str,
    attempts: int,
    next_attempt_at: datetime,
    error: str | None,
) -> None:
    await s.execute(
        update(InboxItem)
        .where(InboxItem.id == item_id)
        .values(
            state=state,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            locked_until=None,
            last_error=error,
        )
    )


async def release_leases(s: AsyncSession) -> None:
    """Free every lease: for a node starting up when no other process can hold one (SQLite)."""
    for model in (Delivery, InboxItem):
        await s.execute(
            update(model).where(model.locked_until.is_not(None)).values(locked_until=None)
        )
