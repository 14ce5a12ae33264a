"""Reports of posts and sanctions on members (warnings, suspensions, posting holds)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Post, PostRef, Report, Sanction, table_of


async def add_report(s: AsyncSession, report: Report) -> bool:
    """Record a report; False (nothing written) when this reporter already reported it."""
    known = await s.scalar(
        select(Report.id).where(
            Report.object_uri == report.object_uri, Report.reporter_key == report.reporter_key
        )
    )
    if known is not None:
        return False
    s.add(report)
    await s.flush()
    return True


async def open_reporters(s: AsyncSession, object_uri: str) -> int:
    """How many different reporters have an open report of this post."""
    return int(
        await s.scalar(
            select(func.count(func.distinct(Report.reporter_key))).where(
                Report.object_uri == object_uri, Report.state == "open"
            )
        )
        or 0
    )


async def reported_posts_of(s: AsyncSession, author_id: str, since: datetime) -> int:
    """How many different posts of one author were reported since a time."""
    return int(
        await s.scalar(
            select(func.count(func.distinct(Report.object_uri))).where(
                Report.author_id == author_id, Report.created_at >= since
            )
        )
        or 0
    )


async def open_reports(s: AsyncSession, subnet_uris: Sequence[str]) -> Sequence[Report]:
    if not subnet_uris:
        return []
    return (
        await s.scalars(
            select(Report)
            .where(Report.subnet_uri.in_(subnet_uris), Report.state == "open")
            .order_by(Report.created_at)
        )
    ).all()


async def reports_of(s: AsyncSession, object_uri: str) -> Sequence[Report]:
    return (
        await s.scalars(
            select(Report).where(Report.object_uri == object_uri).order_by(Report.created_at)
        )
    ).all()


async def open_reports_of(s: AsyncSession, object_uri: str) -> Sequence[Report]:
    return [report for report in await reports_of(s, object_uri) if report.state == "open"]


async def review_reports(
    s: AsyncSession, object_uri: str, now: datetime, outcome: str | None = None
) -> None:
    for report in await open_reports_of(s, object_uri):
        report.state, report.reviewed_at, report.outcome = "reviewed", now, outcome


async def add_sanction(s: AsyncSession, sanction: Sanction) -> Sanction:
    s.add(sanction)
    await s.flush()
    return sanction


def _active(now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (Sanction.lifted_at.is_(None), or_(Sanction.until.is_(None), Sanction.until > now))


async def in_force(
    s: AsyncSession, *, kind: str, pairs: Collection[tuple[str, str]], now: datetime
) -> set[tuple[str, str]]:
    """Which of these (subnet URI, member URI) pairs have a sanction of `kind` in force.

    One query, asked of every run of posts a partner's members send, without the autoflush
    that would write the batch's other pending rows a few at a time (they are written together
    at commit). A sanction added or lifted in this unit of work and not yet written is flushed
    first, so it counts."""
    if not pairs:
        return set()
    if any(isinstance(row, Sanction) for row in (*s.new, *s.dirty)):
        await s.flush()
    sanction = table_of(Sanction)
    with s.no_autoflush:
        rows = await s.execute(
            select(sanction.c.subnet_uri, sanction.c.member_uri)
            .where(
                sanction.c.kind == kind,
                tuple_(sanction.c.subnet_uri, sanction.c.member_uri).in_(list(set(pairs))),
                sanction.c.lifted_at.is_(None),
                or_(sanction.c.until.is_(None), sanction.c.until > now),
            )
            .distinct()
        )
    return {(row[0], row[1]) for row in rows}


async def active_sanctions(
    s: AsyncSession,
    *,
    kinds: Sequence[str],
    now: datetime,
    member_uri: str | None = None,
    subnet_uri: str | None = None,
    person_id: str | None = None,
) -> Sequence[Sanction]:
    query = select(Sanction).where(Sanction.kind.in_(kinds), *_active(now))
    if member_uri is not None:
        query = query.where(Sanction.member_uri == member_uri)
    if subnet_uri is not None:
        query = query.where(Sanction.subnet_uri == subnet_uri)
    if person_id is not None:
        query = query.where(Sanction.person_id == person_id)
    return (await s.scalars(query.order_by(Sanction.created_at))).all()


async def sanctions_in(
    s: AsyncSession, subnet_uris: Sequence[str], now: datetime
) -> Sequence[Sanction]:
    """Active suspensions and posting holds in these subnets (posting holds have none)."""
    return (
        await s.scalars(
            select(Sanction)
            .where(
                Sanction.kind.in_(("suspended", "posting_hold")),
                or_(Sanction.subnet_uri.in_(subnet_uris), Sanction.kind == "posting_hold"),
                *_active(now),
            )
            .order_by(Sanction.created_at)
        )
    ).all()


async def sanction_by_id(s: AsyncSession, sanction_id: str) -> Sanction | None:
    return await s.get(Sanction, sanction_id)


WAITING = ("held", "hidden")
"""Moderation states that wait for a moderator (a post a moderator hid, `withheld`, does not)."""


async def hidden_posts(
    s: AsyncSession, subnet_uris: Sequence[str], states: Sequence[str] = WAITING
) -> Sequence[Post]:
    if not subnet_uris:
        return []
    return (
        await s.scalars(
            select(Post)
            .where(
                Post.subnet_uri.in_(subnet_uris),
                Post.moderation_state.in_(states),
                Post.deleted_at.is_(None),
            )
            .order_by(Post.published)
        )
    ).all()


async def hidden_refs(
    s: AsyncSession, subnet_uris: Sequence[str], states: Sequence[str] = WAITING
) -> Sequence[PostRef]:
    if not subnet_uris:
        return []
    return (
        await s.scalars(
            select(PostRef)
            .where(
                PostRef.subnet_uri.in_(subnet_uris),
                PostRef.moderation_state.in_(states),
            )
            .order_by(PostRef.received_at)
        )
    ).all()
