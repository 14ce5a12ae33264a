"""The queue tables: outbox `event`, outbound `delivery`, inbound `inbox_item`.

Each row is a small state machine (`storage.models.QueueRow`; federation/workers.py runs it):
workers *claim* due rows by taking a lease (`locked_until`), do the work outside the
transaction, then record the outcome — many rows in one bulk write. On PostgreSQL claims use
`FOR UPDATE SKIP LOCKED`, so several `sharon serve` processes never take the same row, and a
lease also names its holder (`locked_by`, the server pid of the claiming process's listening
connection, storage/notify.py): a lease whose holder's connection is gone from
`pg_stat_activity` — the process died — is free at once (so is one whose holder merely lost
that connection and reconnected: its rows in flight may then be taken by another worker). On
SQLite one worker process per node claims (node/app.py holds a lock file for it), and frees
every lease when it starts. Otherwise a crash leaves a lease that simply expires.

The generic pieces (`due`, `claim`, `settle`) serve any table that mixes in `QueueRow`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    column,
    exists,
    func,
    insert,
    inspect,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.engine import Database
from storage.models import Delivery, Event, InboxItem, QueueRow, table_of

Row = TypeVar("Row", bound=QueueRow)


Moment = datetime | ColumnElement[datetime]
"""A time, or a bound parameter standing for one in a statement built once."""


def due(model: type[QueueRow], now: Moment, *, owners: bool = False) -> ColumnElement[bool]:
    """Pending, its time come, and not leased by a live worker (`owners`: see `unleased`)."""
    return and_(
        model.state == "pending",
        model.next_attempt_at <= now,  # type: ignore[attr-defined]
        unleased(model, now, owners=owners),
    )


_LIVE_BACKENDS: Select[Any] = select(column("pid")).select_from(table("pg_stat_activity"))


def unleased(model: type[QueueRow], now: Moment, *, owners: bool = False) -> ColumnElement[bool]:
    """No lease, an expired one, or — with `owners`, PostgreSQL only — one whose holder's
    connection is gone."""
    free = [model.locked_until.is_(None), model.locked_until <= now]
    if owners:
        free.append(and_(model.locked_by.is_not(None), model.locked_by.not_in(_LIVE_BACKENDS)))
    return or_(*free)


def _owners(s: AsyncSession) -> bool:
    return s.get_bind().dialect.name == "postgresql"


async def claim(s: AsyncSession, query: Select[Row], now: datetime, lease: timedelta) -> list[Row]:
    """Lease the due rows a query picks, in its order; PostgreSQL skips rows another worker
    holds. Two statements whatever the batch: the ids chosen, then one UPDATE … RETURNING
    of those rows (not a load and a flush of one UPDATE per row)."""
    model: type[Row] = query.column_descriptions[0]["entity"]
    chosen = query.with_only_columns(inspect(model).primary_key[0])
    if s.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    return await _lease(s, model, list((await s.scalars(chosen)).all()), now, lease)


async def _lease(
    s: AsyncSession, model: type[Row], ids: list[Any], now: datetime, lease: timedelta
) -> list[Row]:
    """Lease these rows, in this order, with one UPDATE … RETURNING."""
    if not ids:
        return []
    key = inspect(model).primary_key[0]
    leased = await s.scalars(
        update(model)
        .where(key.in_(ids))
        .values(locked_until=now + lease, locked_by=s.info.get("lease_owner"))
        .returning(model),
        execution_options={"synchronize_session": False},
    )
    by_id: dict[Any, Row] = {getattr(row, key.key): row for row in leased}
    return [by_id[row_id] for row_id in ids if row_id in by_id]


async def settle(
    s: AsyncSession, model: type[QueueRow], outcomes: Sequence[dict[str, Any]]
) -> None:
    """Record many outcomes at once (each a dict of the row's `id` and its new values): one
    Core UPDATE run for every outcome naming the same columns, not an ORM bulk update, which
    costs Python work per row on the workers' hot path."""
    named: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for outcome in outcomes:
        named.setdefault(tuple(outcome), []).append({f"_{k}": v for k, v in outcome.items()})
    for columns, values in named.items():
        table = cast(Table, inspect(model).local_table)
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({name: bindparam(f"_{name}") for name in columns if name != "id"})
        )
        await s.execute(statement, values)


# A new event is due as soon as it commits, whatever clock its writer read: a CLI process (or
# another machine sharing PostgreSQL) may run ahead of the worker's clock.
AT_ONCE = datetime(1970, 1, 1, tzinfo=UTC)


async def add_events(
    s: AsyncSession, kind: str, payloads: Sequence[dict[str, Any]], now: datetime
) -> None:
    """Queue events of one kind, written at once and numbered in the order given (after any
    this unit of work queued before)."""
    if payloads:
        await s.execute(
            insert(table_of(Event)),
            [
                {"kind": kind, "payload": payload, "created_at": now, "next_attempt_at": AT_ONCE}
                for payload in payloads
            ],
        )


async def claim_events(s: AsyncSession, now: datetime, lease: timedelta, limit: int) -> list[Event]:
    """Lease up to `limit` due outbox events, in the order they were written."""
    return await claim(
        s,
        select(Event).where(due(Event, now, owners=_owners(s))).order_by(Event.id).limit(limit),
        now,
        lease,
    )


async def add_deliveries(s: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Queue deliveries (each the column values of one `Delivery`), numbered in the order given
    after every earlier one (their `seq` keeps per-object order): two statements however many,
    the last number, then one Core INSERT run for every row."""
    if not rows:
        return
    last = int(await s.scalar(_LAST_SEQ) or 0)
    await s.execute(
        insert(table_of(Delivery)),
        [{**row, "seq": number} for number, row in enumerate(rows, start=last + 1)],
    )


_LAST_SEQ = select(func.max(Delivery.seq))


def _not_overtaking() -> ColumnElement[bool]:
    """No earlier delivery about the same object to the same peer is still pending."""
    earlier = aliased(Delivery)
    return ~exists().where(
        earlier.peer_id == Delivery.peer_id,
        earlier.ordering_key == Delivery.ordering_key,
        earlier.state == "pending",
        or_(
            earlier.seq < Delivery.seq, and_(earlier.seq == Delivery.seq, earlier.id < Delivery.id)
        ),
    )


async def claim_deliveries(
    s: AsyncSession,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_peers: Sequence[str] = (),
    peer_id: str | None = None,
) -> list[Delivery]:
    """Lease up to `limit` pending deliveries, oldest first: those due (not to `skip_peers`), or
    with `peer_id` that peer's oldest whether due or not (a probe of a dead peer). A delivery
    waits while an earlier one about the same object to the same peer is pending."""
    chosen = _DELIVERIES_TO_CLAIM[_owners(s), peer_id is not None]
    picked: dict[str, Any] = {"now": now, "limit": limit}
    picked |= {"peer_id": peer_id} if peer_id is not None else {"skip": list(skip_peers)}
    return await _lease(s, Delivery, list((await s.scalars(chosen, picked)).all()), now, lease)


def _deliveries_to_claim(postgresql: bool, probe: bool) -> Select[str]:
    """The ids `claim_deliveries` leases, as one statement built once (the ordering rule's
    subquery costs more to build than to run): due ones not to the `skip` peers, or a `probe`
    of `peer_id`'s oldest; at most `limit`, as of `now`."""
    now: ColumnElement[datetime] = bindparam("now")
    if probe:
        query = select(Delivery.id).where(
            Delivery.peer_id == bindparam("peer_id"),
            Delivery.state == "pending",
            unleased(Delivery, now, owners=postgresql),
        )
    else:
        query = select(Delivery.id).where(
            due(Delivery, now, owners=postgresql),
            Delivery.peer_id.not_in(bindparam("skip", expanding=True)),
        )
    query = (
        query.where(_not_overtaking())
        .order_by(Delivery.next_attempt_at, Delivery.seq)
        .limit(bindparam("limit"))
    )
    return query.with_for_update(skip_locked=True) if postgresql else query


_DELIVERIES_TO_CLAIM = {
    (postgresql, probe): _deliveries_to_claim(postgresql, probe)
    for postgresql in (False, True)
    for probe in (False, True)
}


async def release_deliveries(s: AsyncSession, peer_id: str, now: datetime) -> None:
    """Make a peer's whole pending backlog due now (it has come back)."""
    await s.execute(
        update(Delivery)
        .where(Delivery.peer_id == peer_id, Delivery.state == "pending")
        .values(next_attempt_at=now)
    )


async def add_inbox_items(db: Database, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert inbound activities in one transaction of their own, skipping ids already seen;
    returns the ids that were new.

    One cached statement run for many parameter sets (SQLAlchemy batches them into few
    multi-row INSERTs), rather than a new statement compiled for every burst; on SQLite in one
    step on the writer thread (`Database.write_many`)."""
    if not rows:
        return set()
    insert = sqlite_insert if db.is_sqlite else pg_insert
    statement = (
        insert(InboxItem)
        .on_conflict_do_nothing(index_elements=["activity_id"])
        .returning(InboxItem.activity_id)
    )
    return {row[0] for row in await db.write_many(statement, rows)}


async def claim_inbox_items(
    s: AsyncSession, now: datetime, lease: timedelta, limit: int
) -> list[InboxItem]:
    """Lease up to `limit` due inbound activities, in the order they arrived."""
    query = (
        select(InboxItem)
        .where(due(InboxItem, now, owners=_owners(s)))
        .order_by(InboxItem.received_at)
        .limit(limit)
    )
    return await claim(s, query, now, lease)


async def release_leases(s: AsyncSession) -> None:
    """Free every lease: for a node starting up when no other process can hold one (SQLite)."""
    for model in (Event, Delivery, InboxItem):
        await s.execute(
            update(model)
            .where(model.locked_until.is_not(None))
            .values(locked_until=None, locked_by=None)
        )
