"""Each local subnet's library items, its First Step page, and the counted reads of items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FirstStep, LibraryReader, LibraryResource


async def resources_of(
    s: AsyncSession, subnet_id: str, *, retired: bool = False
) -> Sequence[LibraryResource]:
    """A subnet's items in order; with `retired`, the retired ones too."""
    query = select(LibraryResource).where(LibraryResource.subnet_id == subnet_id)
    if not retired:
        query = query.where(LibraryResource.retired_at.is_(None))
    return (
        await s.scalars(query.order_by(LibraryResource.position, LibraryResource.created_at))
    ).all()


async def resource(s: AsyncSession, resource_id: str) -> LibraryResource | None:
    return await s.get(LibraryResource, resource_id)


async def next_position(s: AsyncSession, subnet_id: str) -> int:
    found = await s.scalar(
        select(func.max(LibraryResource.position)).where(LibraryResource.subnet_id == subnet_id)
    )
    return (found or 0) + 1


def add_resource(s: AsyncSession, item: LibraryResource) -> None:
    s.add(item)


async def note_reader(s: AsyncSession, resource_id: str, reader_key: str) -> None:
    """Remember that the reader behind `reader_key` read this item (once however often)."""
    found = await s.get(LibraryReader, (resource_id, reader_key))
    if found is None:
        s.add(LibraryReader(resource_id=resource_id, reader_key=reader_key))
        await s.flush()


async def reader_counts(s: AsyncSession, resource_ids: Sequence[str]) -> dict[str, int]:
    """How many distinct readers each item has (items nobody read are absent)."""
    if not resource_ids:
        return {}
    rows = await s.execute(
        select(LibraryReader.resource_id, func.count())
        .where(LibraryReader.resource_id.in_(list(resource_ids)))
        .group_by(LibraryReader.resource_id)
    )
    return {resource_id: count for resource_id, count in rows.all()}


async def first_step(s: AsyncSession, subnet_id: str) -> FirstStep | None:
    return await s.get(FirstStep, subnet_id)


async def first_step_ids(s: AsyncSession) -> set[str]:
    """The ids of every local subnet marked First Step."""
    return set((await s.scalars(select(FirstStep.subnet_id))).all())


async def set_first_step(
    s: AsyncSession,
    subnet_id: str,
    *,
    on: bool,
    now: datetime,
    texts: dict[str, str] | None = None,
) -> FirstStep | None:
    """Mark a subnet First Step (with its texts, when given) or not; returns its row."""
    row = await s.get(FirstStep, subnet_id)
    if not on:
        await s.execute(delete(FirstStep).where(FirstStep.subnet_id == subnet_id))
        return None
    if row is None:
        row = FirstStep(
            subnet_id=subnet_id,
            service="",
            address="",
            what_to_expect="",
            expected_wait="",
            updated_at=now,
        )
        s.add(row)
    for name, value in (texts or {}).items():
        setattr(row, name, value)
    row.updated_at = now
    await s.flush()
    return row
