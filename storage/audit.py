"""The append-only audit trail, hash-chained.

Every entry gets the next `seq` and carries `prev_hash`, the hash of the entry before it (the
first carries `GENESIS`); its own `hash` is SHA-256 over its fields and `prev_hash`. The head
row (`audit_head`) holds the last `seq` and hash. Appends take turns on that row: the first
statement of an append is an UPDATE of it, which waits for any other transaction that appended
(a row lock on PostgreSQL; SQLite's single write lock), so concurrent writers extend the chain
one after another and never fork it. A unique index on `seq` refuses a fork outright.

`verify` walks the chain in `seq` order: a changed entry no longer matches its hash, a deleted
one leaves a gap (and the next entry's `prev_hash` points past it), and entries cut from the
end leave the head pointing beyond the last one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Audit, AuditHead, new_id, table_of

GENESIS = "0" * 64
HEAD_ID = 1
_BATCH = 1000


def link_hash(
    *,
    seq: int,
    entry_id: str,
    at: datetime,
    who: str,
    action: str,
    target: str,
    via: str | None,
    prev_hash: str,
) -> str:
    """The hash an entry carries: over its fields in a fixed order, and the previous hash."""
    fields = [
        seq,
        entry_id,
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        who,
        action,
        target,
        via,
        prev_hash,
    ]
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def _hash_of(row: Audit | Row[*tuple[Any, ...]]) -> str:
    return link_hash(
        seq=row.seq,
        entry_id=row.id,
        at=row.at,
        who=row.who,
        action=row.action,
        target=row.target,
        via=row.via,
        prev_hash=row.prev_hash,
    )


async def record(
    s: AsyncSession, *, at: datetime, who: str, action: str, target: str, via: str | None = None
) -> None:
    """Append one entry to the chain, in the caller's transaction."""
    head = table_of(AuditHead)
    seq, prev_hash = (
        await s.execute(
            update(head)
            .where(head.c.id == HEAD_ID)
            .values(seq=head.c.seq + 1)
            .returning(head.c.seq, head.c.hash)
        )
    ).one()
    entry = Audit(
        id=new_id(),
        at=at,
        who=who,
        action=action,
        target=target,
        via=via,
        seq=seq,
        prev_hash=prev_hash,
    )
    entry.hash = _hash_of(entry)
    s.add(entry)
    await s.execute(update(head).where(head.c.id == HEAD_ID).values(hash=entry.hash))


@dataclass(frozen=True)
class Entry:
    """One entry to append with `record_many`."""

    at: datetime
    who: str
    action: str
    target: str
    via: str | None = None


async def record_many(s: AsyncSession, entries: Sequence[Entry]) -> None:
    """Append entries to the chain in the order given, in the caller's transaction: three
    statements however many (the head moved once, one insert of all, the head's hash set),
    so a batch of reads costs what one does."""
    if not entries:
        return
    head = table_of(AuditHead)
    last, prev_hash = (
        await s.execute(
            update(head)
            .where(head.c.id == HEAD_ID)
            .values(seq=head.c.seq + len(entries))
            .returning(head.c.seq, head.c.hash)
        )
    ).one()
    rows = []
    for seq, entry in enumerate(entries, start=last - len(entries) + 1):
        row = {
            "id": new_id(),
            "at": entry.at,
            "who": entry.who,
            "action": entry.action,
            "target": entry.target,
            "via": entry.via,
            "seq": seq,
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = link_hash(
            seq=seq,
            entry_id=row["id"],
            at=entry.at,
            who=entry.who,
            action=entry.action,
            target=entry.target,
            via=entry.via,
            prev_hash=row["prev_hash"],
        )
        rows.append(row)
    await s.execute(insert(Audit), rows)
    await s.execute(update(head).where(head.c.id == HEAD_ID).values(hash=prev_hash))


@dataclass(frozen=True)
class ChainCheck:
    """What `verify` found: how many entries it checked, and the first broken one, if any."""

    entries: int
    broken_seq: int | None = None
    broken_id: str | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def _gap(after: int, found: int) -> str:
    missing = f"entry {after + 1}" if found == after + 2 else f"entries {after + 1}–{found - 1}"
    return f"{missing} deleted"


async def _in_order(s: AsyncSession) -> AsyncIterator[Row[*tuple[Any, ...]]]:
    table = table_of(Audit)
    last = 0
    while True:
        rows = (
            await s.execute(
                select(table).where(table.c.seq > last).order_by(table.c.seq).limit(_BATCH)
            )
        ).all()
        for row in rows:
            yield row
        if len(rows) < _BATCH:
            return
        last = rows[-1].seq


async def verify(s: AsyncSession) -> ChainCheck:
    """Check the whole chain; names the first entry where it breaks."""
    expected, prev_hash, count = 1, GENESIS, 0
    async for row in _in_order(s):
        if row.seq != expected:
            return ChainCheck(count, row.seq, row.id, _gap(expected - 1, row.seq))
        if _hash_of(row) != row.hash:
            return ChainCheck(count, row.seq, row.id, f"entry {row.seq} was changed")
        if row.prev_hash != prev_hash:
            return ChainCheck(
                count,
                row.seq,
                row.id,
                f"entry {row.seq} does not follow entry {row.seq - 1}: one was rewritten",
            )
        expected, prev_hash, count = expected + 1, row.hash, count + 1
    head = await s.get(AuditHead, HEAD_ID)
    if head is None:
        return ChainCheck(count, expected - 1, None, "the chain's head row was deleted")
    if head.seq > expected - 1:
        problem = f"the last entries ({expected}–{head.seq}) were deleted"
        return ChainCheck(count, expected, None, problem)
    if head.seq != expected - 1 or head.hash != prev_hash:
        return ChainCheck(count, expected - 1, None, "the chain's head does not match its end")
    return ChainCheck(count)


async def entries_between(s: AsyncSession, start: datetime, end: datetime) -> Sequence[Audit]:
    """Entries with `start <= at < end`, in chain order."""
    return (
        await s.scalars(select(Audit).where(Audit.at >= start, Audit.at < end).order_by(Audit.seq))
    ).all()
