"""Posts written here (with their text) and references to posts stored elsewhere (without)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, Post, PostRef


async def add_post(s: AsyncSession, post: Post) -> Post:
    s.add(post)
    await s.flush()
    return post


async def post_by_id(s: AsyncSession, post_id: str) -> Post | None:
    return await s.get(Post, post_id)


async def posts_with_authors(s: AsyncSession, post_ids: Sequence[str]) -> list[tuple[Post, Person]]:
    if not post_ids:
        return []
    rows = await s.execute(
        select(Post, Person)
        .join(Person, Person.id == Post.author_id)
        .where(
            Post.id.in_(post_ids),
            Post.deleted_at.is_(None),
        )
    )
    return [(post, person) for post, person in rows.all()]


async def local_posts_in(s: AsyncSession, subnet_uri: str, limit: int) -> list[tuple[Post, Person]]:
    rows = await s.execute(
        select(Post, Person)
        .join(Person, Person.id == Post.author_id)
        .where(
            Post.subnet_uri == subnet_uri,
            Post.deleted_at.is_(None),
            Post.moderation_state == "visible",
        )
        .order_by(Post.published.desc())
        .limit(limit)
    )
    return [(post, person) for post, person in rows.all()]


async def refs_in(s: AsyncSession, subnet_uri: str, limit: int) -> Sequence[PostRef]:
    return (
        await s.scalars(
            select(PostRef)
            .where(PostRef.subnet_uri == subnet_uri, PostRef.moderation_state == "visible")
            .order_by(PostRef.published.desc())
            .limit(limit)
        )
    ).all()


async def add_ref(s: AsyncSession, ref: PostRef) -> bool:
    """Record a reference; False (and nothing written) when it is already known.

    One statement, and safe when two workers race on the same reference."""
    values = {column.key: getattr(ref, column.key) for column in PostRef.__table__.columns}
    values["moderation_state"] = values["moderation_state"] or "visible"
    insert = pg_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
    added = await s.scalar(
        insert(PostRef)
        .values(values)
        .on_conflict_do_nothing(index_elements=["object_uri"])
        .returning(PostRef.object_uri)
    )
    return added is not None


async def ref_by_uri(s: AsyncSession, object_uri: str) -> PostRef | None:
    return await s.get(PostRef, object_uri)


async def refs_by_uri(s: AsyncSession, object_uris: Sequence[str]) -> dict[str, PostRef]:
    if not object_uris:
        return {}
    rows = await s.scalars(select(PostRef).where(PostRef.object_uri.in_(object_uris)))
    return {row.object_uri: row for row in rows}


async def visible_post(s: AsyncSession, post_id: str) -> Post | None:
    """A post that still has content (not deleted)."""
    post = await s.get(Post, post_id)
    return post if post is not None and post.deleted_at is None else None


async def tombstone(s: AsyncSession, post: Post, now: datetime) -> None:
    """Erase a post's text for good; the row stays so fetches can answer 410 Gone. On SQLite
    the connection zeroes the freed bytes (secure_delete), so the text is not left in the page;
    `checkpoint` then clears it from the write-ahead log."""
    if s.bind.dialect.name == "sqlite":
        await s.execute(text("PRAGMA secure_delete = ON"))
    post.content = ""
    post.deleted_at = now


async def delete_ref(s: AsyncSession, object_uri: str) -> PostRef | None:
    ref = await s.get(PostRef, object_uri)
    if ref is not None:
        await s.delete(ref)
        await s.flush()
    return ref


async def expired_posts(s: AsyncSession, subnet_uri: str, before: datetime) -> Sequence[Post]:
    return (
        await s.scalars(
            select(Post).where(
                Post.subnet_uri == subnet_uri, Post.published < before, Post.deleted_at.is_(None)
            )
        )
    ).all()


async def expired_refs(s: AsyncSession, subnet_uri: str, before: datetime) -> Sequence[PostRef]:
    return (
        await s.scalars(
            select(PostRef).where(PostRef.subnet_uri == subnet_uri, PostRef.published < before)
        )
    ).all()


async def held_posts(s: AsyncSession, subnet_uri: str) -> Sequence[Post]:
    return (
        await s.scalars(
            select(Post).where(
                Post.subnet_uri == subnet_uri,
                Post.moderation_state == "held",
                Post.deleted_at.is_(None),
            )
        )
    ).all()


async def held_refs(s: AsyncSession, subnet_uri: str) -> Sequence[PostRef]:
    return (
        await s.scalars(
            select(PostRef).where(
                PostRef.subnet_uri == subnet_uri, PostRef.moderation_state == "held"
            )
        )
    ).all()
