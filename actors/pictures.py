"""Pictures in posts: checking one before it is kept, and who may see it.

A post (or reply) may carry one picture, cleaned by `actors/picture_files.py` and stored only
at the post's home (`post_picture`), with a description (alt text) for people who use screen
readers. A picture is shown under exactly the rule of its post's text: at home to members of
the post's subnet (the author and the subnet's moderators also while it is held), and to a
partner node only for a reader who is a member of that subnet there (`readable_picture`, the
same `readable_posts` rule). A partner shows a picture of a post stored elsewhere by fetching
it live from home through a `PictureFetcher` (`federation/` implements it; never stored).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas, posts, subnets, threads
from actors.errors import Invalid, NotFound
from actors.ids import LocalIds
from actors.picture_files import ALT_FIELD, MAX_ALT_LENGTH
from actors.posts import RefToResolve
from actors.text import post_text
from storage import pictures as store
from storage import posts as post_store
from storage.models import Peer, Person, PostPicture


@dataclass(frozen=True)
class PictureBytes:
    media_type: str
    data: bytes


@dataclass(frozen=True)
class RemotePicture:
    """A picture of a post stored elsewhere, which the reader may see: fetch it live."""

    ref: RefToResolve
    reader_uri: str


class PictureFetcher(Protocol):
    """Fetches a picture from its post's home for a reader here (signed; never stored)."""

    async def fetch(
        self, ref: RefToResolve, reader_uri: str, thumbnail: bool
    ) -> PictureBytes | None: ...


def checked_alt(alt: str) -> str:
    """The picture's description as it will be kept; Invalid (for the alt field) when missing."""
    text = post_text(alt, "The description of the picture", ALT_FIELD)
    if not text:
        raise Invalid(
            "Describe the picture, so that people who use screen readers know what it shows.",
            ALT_FIELD,
        )
    if len(text) > MAX_ALT_LENGTH:
        raise Invalid(
            f"The description of the picture can be at most {MAX_ALT_LENGTH} characters long.",
            ALT_FIELD,
        )
    return text


def _bytes(row: PostPicture, thumbnail: bool) -> PictureBytes:
    return PictureBytes(row.media_type, row.thumbnail if thumbnail else row.data)


async def picture_for(
    s: AsyncSession, ids: LocalIds, *, person: Person, object_uri: str, thumbnail: bool
) -> PictureBytes | RemotePicture:
    """The picture of a post a signed-in person sees on a subnet page: the bytes of one
    written here, or what to fetch for one stored elsewhere. NotFound when there is none or
    the person may not see the post (not a member of its subnet; held or hidden, and neither
    its author nor a moderator of the subnet)."""
    post_id = ids.post_id(object_uri)
    if post_id is not None:
        post = await post_store.visible_post(s, post_id)
        row = await store.picture_of(s, post_id) if post is not None else None
        if post is None or row is None:
            raise NotFound("No such picture.")
        await subnets.subnet_for_member(s, ids, person, post.subnet_uri, "")
        if not (
            post.moderation_state == "visible"
            or post.author_id == person.id
            or await threads.is_moderator(s, ids, person, post.subnet_uri)
        ):
            raise NotFound("No such picture.")
        return _bytes(row, thumbnail)
    ref = await post_store.ref_by_uri(s, object_uri)
    if ref is None:
        raise NotFound("No such picture.")
    await subnets.subnet_for_member(s, ids, person, ref.subnet_uri, "")
    if ref.moderation_state != "visible" and not await threads.is_moderator(
        s, ids, person, ref.subnet_uri
    ):
        raise NotFound("No such picture.")
    reader = await personas.member_uri(s, ids, person.id, ref.subnet_uri)
    return RemotePicture(RefToResolve(ref.object_uri, ref.peer_id, ref.subnet_uri), reader)


async def readable_picture(
    s: AsyncSession,
    ids: LocalIds,
    *,
    post_id: str,
    peer: Peer,
    reader_uri: str,
    now: datetime,
    thumbnail: bool,
    confirmed: Collection[str] = (),
    moderated: Collection[str] = (),
) -> PictureBytes:
    """The picture of a post of ours that `peer` may read for `reader_uri` — the rule (and
    audit) of the post's text (`posts.readable_posts`); NotFound otherwise."""
    readable = await posts.readable_posts(
        s,
        ids,
        post_ids=[post_id],
        peer=peer,
        reader_uri=reader_uri,
        now=now,
        confirmed=confirmed,
        moderated=moderated,
    )
    row = await store.picture_of(s, post_id) if readable else None
    if row is None:
        raise NotFound("No such picture.")
    return _bytes(row, thumbnail)
