"""Posts written here (with their text) and references to posts stored elsewhere (without)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import (
    Executable,
    and_,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import insert_or
from storage.models import Person, Post, PostPicture, PostRef, table_of


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


async def local_posts_in(
    s: AsyncSession,
    subnet_uri: str,
    limit: int,
    before: tuple[datetime, str] | None = None,
    uri_prefix: str = "",
) -> list[tuple[Post, Person]]:
    """The newest visible posts, or those just older than `before` — (published, URI), the
    last one already shown — by keyset (no OFFSET): a post's URI is `uri_prefix` + its id."""
    query = (
        select(Post, Person)
        .join(Person, Person.id == Post.author_id)
        .where(
            Post.subnet_uri == subnet_uri,
            Post.deleted_at.is_(None),
            Post.moderation_state == "visible",
        )
        .order_by(Post.published.desc(), Post.id.desc())
        .limit(limit)
    )
    if before is not None:
        published, uri = before
        query = query.where(
            or_(
                Post.published < published,
                and_(Post.published == published, literal(uri_prefix) + Post.id < uri),
            )
        )
    rows = await s.execute(query)
    return [(post, person) for post, person in rows.all()]


async def refs_in(
    s: AsyncSession, subnet_uri: str, limit: int, before: tuple[datetime, str] | None = None
) -> Sequence[PostRef]:
    """As `local_posts_in`, for references to posts that live at other nodes."""
    query = (
        select(PostRef)
        .where(PostRef.subnet_uri == subnet_uri, PostRef.moderation_state == "visible")
        .order_by(PostRef.published.desc(), PostRef.object_uri.desc())
        .limit(limit)
    )
    if before is not None:
        published, uri = before
        query = query.where(
            or_(
                PostRef.published < published,
                and_(PostRef.published == published, PostRef.object_uri < uri),
            )
        )
    return (await s.scalars(query)).all()


async def add_refs(s: AsyncSession, refs: Sequence[PostRef]) -> set[str]:
    """Record references; returns the object URIs written. One already known (or named twice
    here: the first is kept) is skipped. One statement, safe when two workers race on the same
    reference."""
    if not refs:
        return set()
    columns = table_of(PostRef).columns
    rows = [{column.key: getattr(ref, column.key) for column in columns} for ref in refs]
    for row in rows:
        row["moderation_state"] = row["moderation_state"] or "visible"
    written = await s.scalars(
        insert_or(s, table_of(PostRef))
        .on_conflict_do_nothing(index_elements=["object_uri"])
        .returning(PostRef.object_uri),
        rows,
    )
    return set(written)


async def add_ref(s: AsyncSession, ref: PostRef) -> bool:
    """Record a reference; False (and nothing written) when it is already known."""
    return ref.object_uri in await add_refs(s, [ref])


async def ref_by_uri(s: AsyncSession, object_uri: str) -> PostRef | None:
    return await s.get(PostRef, object_uri)


async def refs_by_uri(s: AsyncSession, object_uris: Sequence[str]) -> dict[str, PostRef]:
    if not object_uris:
        return {}
    rows = await s.scalars(select(PostRef).where(PostRef.object_uri.in_(object_uris)))
    return {row.object_uri: row for row in rows}


_POSTS_SUBNETS = select(Post.id, Post.subnet_uri).where(
    Post.id.in_(bindparam("ids", expanding=True))
)
_REFS_SUBNETS = select(PostRef.object_uri, PostRef.subnet_uri).where(
    PostRef.object_uri.in_(bindparam("uris", expanding=True))
)
_SUBNETS_OF: dict[tuple[bool, bool], Executable] = {
    (True, False): _POSTS_SUBNETS,
    (False, True): _REFS_SUBNETS,
    (True, True): union_all(_POSTS_SUBNETS, _REFS_SUBNETS),
}


async def subnets_of(
    s: AsyncSession, post_ids: Collection[str], object_uris: Collection[str]
) -> dict[str, str]:
    """The subnet of each of these posts of ours (by id) and of these partners' posts we hold
    references of (by object URI), keyed by what was asked; unknown ones are left out. One
    Core query, built once (the inbox's door asks it of the activities that name posts)."""
    if not post_ids and not object_uris:
        return {}
    query = _SUBNETS_OF[bool(post_ids), bool(object_uris)]
    rows = await s.execute(query, {"ids": sorted(post_ids), "uris": sorted(object_uris)})
    return {key: subnet_uri for key, subnet_uri in rows.all()}


async def visible_post(s: AsyncSession, post_id: str) -> Post | None:
    """A post that still has content (not deleted)."""
    post = await s.get(Post, post_id)
    return post if post is not None and post.deleted_at is None else None


async def visible_posts(s: AsyncSession, post_ids: Collection[str]) -> dict[str, Post]:
    """`visible_post` for many at once, by id (those deleted, or never here, left out)."""
    if not post_ids:
        return {}
    rows = await s.scalars(
        select(Post).where(Post.id.in_(set(post_ids)), Post.deleted_at.is_(None))
    )
    return {post.id: post for post in rows}


async def tombstone(s: AsyncSession, post: Post, now: datetime) -> None:
    """Erase a post's text and picture for good; the row stays so fetches can answer 410 Gone.
    On SQLite the connection zeroes the freed bytes (secure_delete), so neither is left in the
    page; `checkpoint` then clears them from the write-ahead log."""
    if s.get_bind().dialect.name == "sqlite":
        await s.execute(text("PRAGMA secure_delete = ON"))
    await s.execute(delete(PostPicture).where(PostPicture.post_id == post.id))
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


async def reply_counts(s: AsyncSession, subnet_uri: str, uris: Sequence[str]) -> dict[str, int]:
    """How many visible replies each of `uris` has in the subnet, written here or referenced:
    two grouped queries over the `in_reply_to` indexes, whatever the number of posts."""
    if not uris:
        return {}
    counts: dict[str, int] = {}
    local = (
        select(Post.in_reply_to, func.count())
        .where(
            Post.in_reply_to.in_(uris),
            Post.subnet_uri == subnet_uri,
            Post.deleted_at.is_(None),
            Post.moderation_state == "visible",
        )
        .group_by(Post.in_reply_to)
    )
    remote = (
        select(PostRef.in_reply_to, func.count())
        .where(
            PostRef.in_reply_to.in_(uris),
            PostRef.subnet_uri == subnet_uri,
            PostRef.moderation_state == "visible",
        )
        .group_by(PostRef.in_reply_to)
    )
    for query in (local, remote):
        for uri, n in (await s.execute(query)).all():
            if uri is not None:
                counts[uri] = counts.get(uri, 0) + n
    return counts


async def replies_to(
    s: AsyncSession, subnet_uri: str, uris: Sequence[str], limit: int
) -> tuple[list[tuple[Post, Person]], list[PostRef]]:
    """The visible replies to any of `uris` in the subnet, written here and referenced, oldest
    first, at most `limit` of each: one level of a thread."""
    if not uris:
        return [], []
    rows = await s.execute(
        select(Post, Person)
        .join(Person, Person.id == Post.author_id)
        .where(
            Post.in_reply_to.in_(uris),
            Post.subnet_uri == subnet_uri,
            Post.deleted_at.is_(None),
            Post.moderation_state == "visible",
        )
        .order_by(Post.published, Post.id)
        .limit(limit)
    )
    refs = await s.scalars(
        select(PostRef)
        .where(
            PostRef.in_reply_to.in_(uris),
            PostRef.subnet_uri == subnet_uri,
            PostRef.moderation_state == "visible",
        )
        .order_by(PostRef.published, PostRef.object_uri)
        .limit(limit)
    )
    return [(post, person) for post, person in rows.all()], list(refs.all())


async def visible_posts_with_authors(
    s: AsyncSession, subnet_uri: str, post_ids: Sequence[str]
) -> list[tuple[Post, Person]]:
    """Those of `post_ids` that are visible in the subnet, with their authors (one query)."""
    if not post_ids:
        return []
    rows = await s.execute(
        select(Post, Person)
        .join(Person, Person.id == Post.author_id)
        .where(
            Post.id.in_(post_ids),
            Post.subnet_uri == subnet_uri,
            Post.deleted_at.is_(None),
            Post.moderation_state == "visible",
        )
    )
    return [(post, person) for post, person in rows.all()]
