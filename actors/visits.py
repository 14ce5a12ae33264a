""" "New since your last visit": when each person last opened each subnet, and what arrived
in it since. A first visit counts every post as new."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import notices as store


async def record_visit(s: AsyncSession, *, person_id: str, subnet_uri: str, now: datetime) -> None:
    """The person opened the subnet's page (its posts are no longer new to them)."""
    await store.record_visit(s, person_id, subnet_uri, now)


async def new_since_last_visit(
    s: AsyncSession, *, person_id: str, subnet_uris: Sequence[str]
) -> dict[str, int]:
    """How many posts by others arrived in each subnet since the person last opened it."""
    visits = await store.visits_of(s, person_id)
    return {uri: await store.news_in(s, uri, visits.get(uri), person_id) for uri in subnet_uris}
