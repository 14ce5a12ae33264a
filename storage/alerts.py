"""Alerts about screened posts and names, their notes, who is on duty, and calls to the
paging webhook.

All of it stays on the author's home node. `page` rows are a small retrying queue (state,
attempts, next attempt, lease), claimed like deliveries in `storage/queues.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Alert, AlertNote, OnDuty, Page, Person, Post


async def add_alert(s: AsyncSession, alert: Alert) -> Alert:
    s.add(alert)
    await s.flush()
    return alert


async def alert_by_id(s: AsyncSession, alert_id: str) -> Alert | None:
    return await s.get(Alert, alert_id)


async def alerts_with_posts(
    s: AsyncSession, *, states: Sequence[str], escalated_only: bool = False, limit: int = 200
) -> list[tuple[Alert, Post | None, Person]]:
    """Alerts in `states`, urgent first, then oldest first (the longest waiting at the top);
    the post is None for an alert about a name."""
    query = (
        select(Alert, Post, Person)
        .outerjoin(Post, Post.id == Alert.post_id)
        .join(Person, Person.id == Alert.author_id)
        .where(Alert.state.in_(states))
    )
    if escalated_only:
        query = query.where(Alert.escalated_at.is_not(None))
    query = query.order_by((Alert.level == "urgent").desc(), Alert.created_at).limit(limit)
    return [(a, p, person) for a, p, person in (await s.execute(query)).all()]


async def alert_with_post(
    s: AsyncSession, alert_id: str
) -> tuple[Alert, Post | None, Person] | None:
    row = (
        await s.execute(
            select(Alert, Post, Person)
            .outerjoin(Post, Post.id == Alert.post_id)
            .join(Person, Person.id == Alert.author_id)
            .where(Alert.id == alert_id)
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None


async def count_open(s: AsyncSession, *, escalated_only: bool = False) -> int:
    query = select(func.count()).select_from(Alert).where(Alert.state == "open")
    if escalated_only:
        query = query.where(Alert.escalated_at.is_not(None))
    return int(await s.scalar(query) or 0)


async def due_for_escalation(s: AsyncSession, raised_before: datetime) -> Sequence[Alert]:
    """Open alerts raised before a time and not yet escalated; on PostgreSQL locked, so
    two `sharon serve` processes never escalate (and page) the same alert twice."""
    query = select(Alert).where(
        Alert.state == "open",
        Alert.escalated_at.is_(None),
        Alert.created_at <= raised_before,
    )
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await s.scalars(query)).all()


async def add_note(s: AsyncSession, note: AlertNote) -> None:
    s.add(note)


async def notes_of(s: AsyncSession, alert_id: str) -> list[tuple[AlertNote, Person | None]]:
    rows = await s.execute(
        select(AlertNote, Person)
        .outerjoin(Person, Person.id == AlertNote.author_id)
        .where(AlertNote.alert_id == alert_id)
        .order_by(AlertNote.created_at)
    )
    return [(note, person) for note, person in rows.all()]


async def screened_posts_of(s: AsyncSession, subnet_uri: str, author_id: str) -> Sequence[Post]:
    """An author's own posts held by screening in a subnet (shown to them alone)."""
    return (
        await s.scalars(
            select(Post).where(
                Post.subnet_uri == subnet_uri,
                Post.author_id == author_id,
                Post.moderation_state == "screened",
                Post.deleted_at.is_(None),
            )
        )
    ).all()


async def set_on_duty(s: AsyncSession, person_id: str, now: datetime, on: bool) -> None:
    row = await s.get(OnDuty, person_id)
    if on and row is None:
        s.add(OnDuty(person_id=person_id, since=now))
    elif not on and row is not None:
        await s.delete(row)
    await s.flush()


async def on_duty(s: AsyncSession) -> list[tuple[OnDuty, Person]]:
    rows = await s.execute(
        select(OnDuty, Person).join(Person, Person.id == OnDuty.person_id).order_by(OnDuty.since)
    )
    return [(row, person) for row, person in rows.all()]


async def forget_duty(s: AsyncSession, person_id: str) -> None:
    await s.execute(delete(OnDuty).where(OnDuty.person_id == person_id))


async def add_page(s: AsyncSession, page: Page) -> None:
    s.add(page)


async def claim_pages(s: AsyncSession, now: datetime, limit: int, lease: timedelta) -> list[Page]:
    query = (
        select(Page)
        .where(
            Page.state == "pending",
            Page.next_attempt_at <= now,
            or_(Page.locked_until.is_(None), Page.locked_until <= now),
        )
        .order_by(Page.next_attempt_at)
        .limit(limit)
    )
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await s.scalars(query)).all())
    for row in rows:
        row.locked_until = now + lease
    return rows


async def page_by_id(s: AsyncSession, page_id: str) -> Page | None:
    return await s.get(Page, page_id)


async def recent_pages(s: AsyncSession, limit: int = 50) -> Sequence[Page]:
    """The latest webhook calls that did not (yet) succeed, for the admins' record."""
    return (
        await s.scalars(
            select(Page).where(Page.state != "done").order_by(Page.created_at.desc()).limit(limit)
        )
    ).all()
