"""What response times are measured from: held posts and references, alerts, and the audit
entries that answered them (actors/response_times.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Alert, Audit, Post, PostRef, RemoteActor, Report, Subnet


async def first_answers(s: AsyncSession, actions: Sequence[str]) -> dict[str, datetime]:
    """For every target with one of `actions` audited: when the first was."""
    rows = await s.execute(
        select(Audit.target, func.min(Audit.at))
        .where(Audit.action.in_(actions))
        .group_by(Audit.target)
    )
    return {target: at for target, at in rows}


async def held_or_answered_posts(s: AsyncSession, post_ids: Sequence[str | None]) -> Sequence[Post]:
    """Our posts held now, and those with the given ids (answered once held)."""
    wanted = [post_id for post_id in post_ids if post_id]
    held = (Post.moderation_state == "held") & Post.deleted_at.is_(None)
    return (await s.scalars(select(Post).where(or_(held, Post.id.in_(wanted))))).all()


async def held_or_answered_refs(s: AsyncSession, uris: Sequence[str]) -> Sequence[PostRef]:
    condition = or_(PostRef.moderation_state == "held", PostRef.object_uri.in_(uris))
    return (await s.scalars(select(PostRef).where(condition))).all()


async def alerts(s: AsyncSession) -> Sequence[Alert]:
    return (await s.scalars(select(Alert))).all()


async def reports(s: AsyncSession) -> Sequence[Report]:
    return (await s.scalars(select(Report))).all()


async def subnet_names(s: AsyncSession, uri_of: Callable[[str], str]) -> dict[str, str]:
    """Names of the subnets hosted here (`uri_of(slug)`) and of those known elsewhere."""
    names = {
        uri: name
        for uri, name in await s.execute(
            select(RemoteActor.uri, RemoteActor.name).where(RemoteActor.kind == "Group")
        )
    }
    for slug, name in await s.execute(select(Subnet.slug, Subnet.name)):
        names[uri_of(slug)] = name
    return names
