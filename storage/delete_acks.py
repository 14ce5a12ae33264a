"""Deletes of our content that partner nodes have not yet acknowledged.

One row per (object, partner node). The row is written when the Delete is planned and marked
`acked_at` when the partner's Accept of it arrives; until then the housekeeping job re-sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Erasure


async def expect_ack(
    s: AsyncSession,
    *,
    object_uri: str,
    subnet_uri: str,
    actor_uri: str,
    peer_id: str,
    now: datetime,
) -> None:
    if await s.get(Erasure, (object_uri, peer_id)) is None:
        s.add(
            Erasure(
                object_uri=object_uri,
                peer_id=peer_id,
                subnet_uri=subnet_uri,
                actor_uri=actor_uri,
                created_at=now,
                last_sent_at=now,
            )
        )
        await s.flush()


async def acknowledge(s: AsyncSession, object_uri: str, peer_id: str, now: datetime) -> bool:
    row = await s.get(Erasure, (object_uri, peer_id))
    if row is None or row.acked_at is not None:
        return False
    row.acked_at = now
    return True


async def unacknowledged(s: AsyncSession, sent_before: datetime | None = None) -> Sequence[Erasure]:
    query = select(Erasure).where(Erasure.acked_at.is_(None))
    if sent_before is not None:
        query = query.where(Erasure.last_sent_at < sent_before)
    return (await s.scalars(query.order_by(Erasure.created_at))).all()
