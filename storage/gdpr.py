"""What a person's data-protection requests read and remove: their posts, memberships, the
audit entries about them, and the account itself (sessions, details and codes cascade)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Audit, JournalEntry, Membership, Person, Post, PostPicture, WebSession


async def posts_by(s: AsyncSession, person_id: str) -> Sequence[Post]:
    return (
        await s.scalars(select(Post).where(Post.author_id == person_id).order_by(Post.published))
    ).all()


async def memberships_of_any_state(
    s: AsyncSession, member_uris: Sequence[str]
) -> Sequence[Membership]:
    """Memberships held under any of a person's URIs (one per subnet), active or pending."""
    return (await s.scalars(select(Membership).where(Membership.member_uri.in_(member_uris)))).all()


async def sessions_of(s: AsyncSession, person_id: str) -> Sequence[WebSession]:
    return (await s.scalars(select(WebSession).where(WebSession.person_id == person_id))).all()


async def audit_about(s: AsyncSession, uri: str) -> Sequence[Audit]:
    return (
        await s.scalars(
            select(Audit).where(or_(Audit.who == uri, Audit.target == uri)).order_by(Audit.at)
        )
    ).all()


async def audit_of_targets(s: AsyncSession, targets: Sequence[str], action: str) -> Sequence[Audit]:
    """Audit entries of one kind about any of `targets` (a person's posts, say), oldest first."""
    if not targets:
        return []
    return (
        await s.scalars(
            select(Audit)
            .where(Audit.action == action, Audit.target.in_(targets))
            .order_by(Audit.at)
        )
    ).all()


async def delete_account(s: AsyncSession, person_id: str, member_uris: Sequence[str]) -> None:
    """Posts, journal entries, memberships, then the person (sessions, details, codes, resets,
    personas cascade). On SQLite the freed bytes of posts and pictures are zeroed
    (secure_delete)."""
    if s.get_bind().dialect.name == "sqlite":
        await s.execute(text("PRAGMA secure_delete = ON"))
    mine = select(Post.id).where(Post.author_id == person_id)
    await s.execute(delete(PostPicture).where(PostPicture.post_id.in_(mine)))
    await s.execute(delete(Post).where(Post.author_id == person_id))
    await s.execute(delete(JournalEntry).where(JournalEntry.person_id == person_id))
    await s.execute(delete(Membership).where(Membership.member_uri.in_(member_uris)))
    await s.execute(delete(Person).where(Person.id == person_id))
