"""A member's own controls: people and words they muted, and a break they are taking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import rows_affected
from storage.models import Mute, TimeOut


async def mutes_of(s: AsyncSession, person_id: str) -> Sequence[Mute]:
    return (
        await s.scalars(select(Mute).where(Mute.person_id == person_id).order_by(Mute.created_at))
    ).all()


async def add_mute(
    s: AsyncSession, *, person_id: str, kind: str, value: str, label: str, now: datetime
) -> bool:
    """False if it was muted already."""
    existing = await s.scalar(
        select(Mute).where(Mute.person_id == person_id, Mute.kind == kind, Mute.value == value)
    )
    if existing is not None:
        return False
    s.add(Mute(person_id=person_id, kind=kind, value=value, label=label, created_at=now))
    await s.flush()
    return True


async def remove_mute(s: AsyncSession, person_id: str, mute_id: str) -> bool:
    result = await s.execute(delete(Mute).where(Mute.person_id == person_id, Mute.id == mute_id))
    return bool(rows_affected(result))


async def time_out_of(s: AsyncSession, person_id: str) -> TimeOut | None:
    return await s.get(TimeOut, person_id)


async def set_time_out(
    s: AsyncSession,
    *,
    person_id: str,
    subnet_uris: list[str],
    until: datetime | None,
    now: datetime,
) -> TimeOut:
    row = await s.get(TimeOut, person_id)
    if row is None:
        row = TimeOut(person_id=person_id, subnet_uris=subnet_uris, started_at=now, until=until)
        s.add(row)
    else:
        row.subnet_uris, row.started_at, row.until = subnet_uris, now, until
    await s.flush()
    return row


async def end_time_out(s: AsyncSession, person_id: str) -> None:
    await s.execute(delete(TimeOut).where(TimeOut.person_id == person_id))
