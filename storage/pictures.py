"""The pictures of posts written here: one row per post, full size and thumbnail."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from storage.models import PostPicture


async def add_picture(s: AsyncSession, picture: PostPicture) -> None:
    s.add(picture)
    await s.flush()


async def picture_of(s: AsyncSession, post_id: str) -> PostPicture | None:
    return await s.get(PostPicture, post_id)


async def described(s: AsyncSession, post_ids: Sequence[str]) -> dict[str, PostPicture]:
    """The pictures of these posts, without their bytes (alt text and sizes, for a page)."""
    if not post_ids:
        return {}
    rows = await s.scalars(
        select(PostPicture)
        .where(PostPicture.post_id.in_(post_ids))
        .options(defer(PostPicture.data), defer(PostPicture.thumbnail))
    )
    return {row.post_id: row for row in rows}


async def delete_picture(s: AsyncSession, post_id: str) -> None:
    await s.execute(delete(PostPicture).where(PostPicture.post_id == post_id))


async def count(s: AsyncSession) -> int:
    return len((await s.scalars(select(PostPicture.post_id))).all())
