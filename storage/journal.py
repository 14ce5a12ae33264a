"""Journal entries: a person's own, never sent to another node."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Alert, JournalEntry


async def add_entry(s: AsyncSession, entry: JournalEntry) -> JournalEntry:
    s.add(entry)
    await s.flush()
    return entry


async def entry_of(s: AsyncSession, person_id: str, entry_id: str) -> JournalEntry | None:
    """The entry, only if it is `person_id`'s own."""
    return await s.scalar(
        select(JournalEntry).where(JournalEntry.id == entry_id, JournalEntry.person_id == person_id)
    )


async def entry_by_id(s: AsyncSession, entry_id: str) -> JournalEntry | None:
    return await s.get(JournalEntry, entry_id)


async def entries_of(
    s: AsyncSession, person_id: str, *, shared_only: bool = False, limit: int | None = None
) -> Sequence[JournalEntry]:
    """A person's entries, newest first (only those shared with clinicians, if asked)."""
    query = select(JournalEntry).where(JournalEntry.person_id == person_id)
    if shared_only:
        query = query.where(JournalEntry.shared_at.is_not(None))
    query = query.order_by(JournalEntry.written_at.desc(), JournalEntry.id)
    if limit is not None:
        query = query.limit(limit)
    return (await s.scalars(query)).all()


async def delete_entry(s: AsyncSession, entry: JournalEntry) -> None:
    """The entry goes; an alert about it keeps its record (the entry is then None there)."""
    for alert in await s.scalars(select(Alert).where(Alert.journal_entry_id == entry.id)):
        alert.journal_entry_id = None
    await s.delete(entry)
    await s.flush()
