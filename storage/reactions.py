"""Likes of posts, by URI (who liked which object); never any content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import rows_affected
from storage.models import Reaction


async def add_reaction(
    s: AsyncSession, *, object_uri: str, actor_uri: str, subnet_uri: str, now: datetime
) -> bool:
    existing = await s.scalar(
        select(Reaction).where(Reaction.object_uri == object_uri, Reaction.actor_uri == actor_uri)
    )
    if existing is not None:
        return False
    s.add(
        Reaction(object_uri=object_uri, actor_uri=actor_uri, subnet_uri=subnet_uri, created_at=now)
    )
    await s.flush()
    return True


async def remove_reaction(s: AsyncSession, *, object_uri: str, actor_uri: str) -> bool:
    result = await s.execute(
        delete(Reaction).where(Reaction.object_uri == object_uri, Reaction.actor_uri == actor_uri)
    )
    return bool(rows_affected(result))


async def drop_reactions_to(s: AsyncSession, object_uri: str) -> None:
    await s.execute(delete(Reaction).where(Reaction.object_uri == object_uri))


async def like_counts(s: AsyncSession, object_uris: list[str]) -> dict[str, int]:
    if not object_uris:
        return {}
    rows = await s.execute(
        select(Reaction.object_uri, func.count())
        .where(Reaction.object_uri.in_(object_uris))
        .group_by(Reaction.object_uri)
    )
    return {uri: count for uri, count in rows.all()}


async def liked_by(s: AsyncSession, actor_uri: str, object_uris: list[str]) -> set[str]:
    """Which of `object_uris` the actor likes."""
    if not object_uris:
        return set()
    rows = await s.scalars(
        select(Reaction.object_uri).where(
            Reaction.actor_uri == actor_uri, Reaction.object_uri.in_(object_uris)
        )
    )
    return set(rows.all())
