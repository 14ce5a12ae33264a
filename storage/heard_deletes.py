"""Deletes this node has heard, remembered for a while so a late Create of the object is refused.

Deliveries can arrive out of order (a sender's retries, several in flight): a Delete may come
before the Create it undoes. Remembering the Delete, even for an object we never knew, makes
the late Create harmless. Rows expire at `keep_until` (housekeeping forgets them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import rows_affected
from storage.models import HeardDelete


async def remember(s: AsyncSession, object_uri: str, peer_id: str, keep_until: datetime) -> None:
    await s.merge(HeardDelete(object_uri=object_uri, peer_id=peer_id, keep_until=keep_until))


async def heard(s: AsyncSession, object_uris: Sequence[str]) -> set[str]:
    """Which of these objects a Delete was heard for."""
    if not object_uris:
        return set()
    query = select(HeardDelete.object_uri).where(HeardDelete.object_uri.in_(set(object_uris)))
    return set((await s.scalars(query)).all())


async def forget_expired(s: AsyncSession, now: datetime) -> int:
    result = await s.execute(delete(HeardDelete).where(HeardDelete.keep_until <= now))
    return rows_affected(result)
