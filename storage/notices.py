"""Notices to local people, and when each person last opened each subnet.

Nothing here leaves the node. A notice names what it is about by URI (a post, a subnet) and
never holds a post's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import insert_or, rows_affected
from storage.models import LastVisit, Notice, Post, PostRef


async def add_notice(s: AsyncSession, notice: Notice) -> None:
    s.add(notice)
    await s.flush()


async def unread_like(
    s: AsyncSession, person_id: str, subject_uri: str, kind: str = "like"
) -> Notice | None:
    """The unread Like notice about one post, which further Likes are counted on (or another
    counted `kind`'s, such as new messages in one conversation)."""
    return await s.scalar(
        select(Notice).where(
            Notice.person_id == person_id,
            Notice.kind == kind,
            Notice.subject_uri == subject_uri,
            Notice.read_at.is_(None),
        )
    )


async def count_unread(s: AsyncSession, person_id: str) -> int:
    query = select(func.count()).where(Notice.person_id == person_id, Notice.read_at.is_(None))
    return int(await s.scalar(query) or 0)


async def notices_of(s: AsyncSession, person_id: str, limit: int | None) -> Sequence[Notice]:
    """A person's notices, newest first (all of them when `limit` is None)."""
    query = (
        select(Notice)
        .where(Notice.person_id == person_id)
        .order_by(Notice.created_at.desc(), Notice.id)
    )
    return (await s.scalars(query if limit is None else query.limit(limit))).all()


async def mark_read(
    s: AsyncSession, person_id: str, now: datetime, notice_ids: Sequence[str] | None
) -> int:
    """Mark a person's unread notices read (only `notice_ids`, when given); returns how many."""
    query = update(Notice).where(Notice.person_id == person_id, Notice.read_at.is_(None))
    if notice_ids is not None:
        query = query.where(Notice.id.in_(list(notice_ids)))
    result = await s.execute(query.values(read_at=now))
    return rows_affected(result)


async def mark_read_about(s: AsyncSession, person_id: str, subject_uri: str, now: datetime) -> None:
    await s.execute(
        update(Notice)
        .where(
            Notice.person_id == person_id,
            Notice.subject_uri == subject_uri,
            Notice.read_at.is_(None),
        )
        .values(read_at=now)
    )


async def visits_of(s: AsyncSession, person_id: str) -> dict[str, datetime]:
    rows = await s.scalars(select(LastVisit).where(LastVisit.person_id == person_id))
    return {row.subnet_uri: row.visited_at for row in rows}


async def record_visit(s: AsyncSession, person_id: str, subnet_uri: str, now: datetime) -> None:
    """One statement, whether or not the person opened the subnet before (two tabs may race)."""
    statement = insert_or(s, LastVisit).values(
        person_id=person_id, subnet_uri=subnet_uri, visited_at=now
    )
    await s.execute(
        statement.on_conflict_do_update(
            index_elements=["person_id", "subnet_uri"],
            set_={"visited_at": statement.excluded.visited_at},
        )
    )


async def news_in(s: AsyncSession, subnet_uri: str, since: datetime | None, person_id: str) -> int:
    """Visible posts in a subnet that arrived here after `since` (all of them if None), other
    than the person's own: posts written here by when they were published, references to
    posts elsewhere by when they reached this node."""
    local = (
        select(func.count())
        .select_from(Post)
        .where(
            Post.subnet_uri == subnet_uri,
            Post.moderation_state == "visible",
            Post.deleted_at.is_(None),
            Post.author_id != person_id,
        )
    )
    remote = (
        select(func.count())
        .select_from(PostRef)
        .where(PostRef.subnet_uri == subnet_uri, PostRef.moderation_state == "visible")
    )
    if since is not None:
        local = local.where(Post.published > since)
        remote = remote.where(PostRef.received_at > since)
    return int(await s.scalar(local) or 0) + int(await s.scalar(remote) or 0)


async def reasons_given(
    s: AsyncSession, person_id: str, kind: str, subject_uris: Sequence[str]
) -> dict[str, str]:
    """The reason a person was given, in a notice of one kind, about each of these subjects."""
    if not subject_uris:
        return {}
    rows = await s.scalars(
        select(Notice).where(
            Notice.person_id == person_id,
            Notice.kind == kind,
            Notice.subject_uri.in_(list(subject_uris)),
            Notice.reason.is_not(None),
        )
    )
    return {row.subject_uri or "": row.reason or "" for row in rows}


async def forget_subnet(s: AsyncSession, subnet_uri: str) -> None:
    """This node no longer takes part in a subnet: its notices (they name its posts) and
    last visits go."""
    await s.execute(delete(Notice).where(Notice.subnet_uri == subnet_uri))
    await s.execute(delete(LastVisit).where(LastVisit.subnet_uri == subnet_uri))


async def forget_node(s: AsyncSession, base: str, subnet_uri: str | None = None) -> None:
    """A node no longer takes part (in one subnet, or at all): notices keep no URI or name of
    its people, and those about subnets it hosts go."""
    on_node = Notice.actor_uri.startswith(base + "/")
    if subnet_uri is not None:
        on_node = and_(on_node, Notice.subnet_uri == subnet_uri)
    else:
        await s.execute(delete(Notice).where(Notice.subnet_uri.startswith(base + "/")))
        await s.execute(delete(LastVisit).where(LastVisit.subnet_uri.startswith(base + "/")))
    await s.execute(update(Notice).where(on_node).values(actor_uri=None, actor_name=None))
