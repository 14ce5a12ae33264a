"""Posts written here (with their text) and references to posts stored elsewhere (without)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
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
        select(Post, Person).join(Person, Person.id == Post.author_id).where(Post.id.in_(post_ids))
    )
    return [(post, person) for post, person in rows.all()]


async def local_posts_in(s: AsyncSession, subnet_uri: str, limit: int) -> list[tuple[Post, Person]]:
    rows = await s.execute(
        select(Post, Person)
        .join(Person, Person.id == Post.author_id)
        .where(Post.subnet_uri == subnet_uri)
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
    """Record a reference; False (and nothing written) when it is already known."""
    if await s.get(PostRef, ref.object_uri) is not None:
        return False
    s.add(ref)
    await s.flush()
    return True


async def ref_by_uri(s: AsyncSession, object_uri: str) -> PostRef | None:
    return await s.get(PostRef, object_uri)
