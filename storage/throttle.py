"""Counters of failed sign-ins, keyed by an opaque hash (never a username or an address)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import insert_or
from storage.models import SignInThrottle


async def throttles(s: AsyncSession, keys: list[str]) -> list[SignInThrottle]:
    return list((await s.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys)))).all())


async def locked_throttle(s: AsyncSession, key: str, now: datetime) -> SignInThrottle:
    """The counter for `key`, created if new and row-locked on PostgreSQL, ready to update."""
    await s.execute(
        insert_or(s, SignInThrottle)
        .values(key=key, failures=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    query = select(SignInThrottle).where(SignInThrottle.key == key)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return (await s.scalars(query.execution_options(populate_existing=True))).one()


async def clear_throttle(s: AsyncSession, key: str) -> None:
    await s.execute(delete(SignInThrottle).where(SignInThrottle.key == key))
