"""Posts: writing them here, accepting references to posts written elsewhere, and reading.

A post's text is stored only by its author's home node (`post`). Every other node holds a
`post_ref` — URI, subnet, author, time — and asks a `ContentResolver` for the text when one of
its people reads the subnet. `federation/` implements the resolver; nothing here knows how.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas, subnets
from actors.errors import Gone, Invalid, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.policy import STAFF, may_post_in
from storage import audit, queues, reactions
from storage import peers as peer_store
from storage import posts as store
from storage.models import Peer, Person, Post, PostRef

MAX_POST_LENGTH = 5000
PAGE_SIZE = 50


@dataclass(frozen=True)
class RefToResolve:
    object_uri: str
    peer_id: str


@dataclass(frozen=True)
class ResolvedContent:
    author_uri: str
    author_name: str
    content: str


class ContentResolver(Protocol):
    """Turns references into content fetched live from their home nodes (never stored)."""

    async def resolve(
        self, refs: Sequence[RefToResolve], reader_uri: str
    ) -> Mapping[str, ResolvedContent]: ...


@dataclass(frozen=True)
class Entry:
    """One post as a reader sees it; `content` is None when its home could not be reached."""

    uri: str
    published: datetime
    author_name: str
    author_home: str
    content: str | None
    local: bool
    in_reply_to: str | None = None
    likes: int = 0
    mine: bool = False


def checked_content(content: str) -> str:
    content = content.strip()
    if not content:
        raise Invalid("Write something before posting.")
    if len(content) > MAX_POST_LENGTH:
        raise Invalid(f"A post can be at most {MAX_POST_LENGTH} characters long.")
    return content


async def write_post(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    subnet_uri: str,
    content: str,
    now: datetime,
    in_reply_to: str | None = None,
) -> Post:
    """A member writes in a subnet: stored here; partners learn of it through an event. In a
    pre-moderated subnet hosted here, a post by a non-staff member waits for a moderator."""
    content = checked_content(content)
    summary = await subnets.subnet_for_member(s, ids, person, subnet_uri, "")
    if not may_post_in(person.role, summary.posting_policy):
        raise NotPermitted("Only staff can post in this subnet.")
    if in_reply_to and not await post_in_subnet(s, ids, in_reply_to, subnet_uri):
        raise Invalid("You can only reply to a post in the same subnet.")
    held = summary.premoderation and person.role not in STAFF
    post = await store.add_post(
        s,
        Post(
            author_id=person.id,
            subnet_uri=subnet_uri,
            content=content,
            published=now,
            in_reply_to=in_reply_to or None,
            moderation_state="held" if held else "visible",
        ),
    )
    if not held or not summary.local:  # a home elsewhere must see it to moderate it
        await queues.add_event(s, "post.created", {"post_id": post.id}, now)
    return post


async def post_in_subnet(s: AsyncSession, ids: LocalIds, object_uri: str, subnet_uri: str) -> bool:
    """Whether a post (ours or a reference) is known here in that subnet."""
    post_id = ids.post_id(object_uri)
    if post_id is not None:
        post = await store.visible_post(s, post_id)
        return post is not None and post.subnet_uri == subnet_uri
    ref = await store.ref_by_uri(s, object_uri)
    return ref is not None and ref.subnet_uri == subnet_uri


async def accept_remote_post(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    author_uri: str,
    object_uri: str,
    subnet_uri: str,
    published: datetime,
    now: datetime,
    in_reply_to: str | None = None,
) -> bool:
    """A partner's member posted in a subnet hosted here: keep a reference, then announce it."""
    slug = ids.subnet_slug(subnet_uri)
    if slug is None or not await subnets.node_may_see(s, ids, subnet_uri, peer):
        raise NotFound("No such subnet is shared with that node.")
    await subnets.require_member(s, subnet_uri, author_uri)
    subnet = await subnets.local_subnet(s, slug)
    ref = PostRef(
        object_uri=object_uri,
        subnet_uri=subnet_uri,
        author_uri=author_uri,
        moderation_state="held" if subnet.premoderation else "visible",
        peer_id=peer.id,
        in_reply_to=in_reply_to,
        published=min(published, now),
        received_at=now,
    )
    if not await store.add_ref(s, ref):
        return False
    if ref.moderation_state == "visible":
        await queues.add_event(s, "ref.accepted", {"object_uri": object_uri}, now)
    return True


async def record_announced(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    subnet_uri: str,
    object_uri: str,
    object_peer: Peer,
    published: datetime,
    now: datetime,
    in_reply_to: str | None = None,
) -> bool:
    """A subnet's home announced a post to us, a partner: keep a reference to it."""
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None or group.kind != "Group" or group.peer_id != peer.id:
        raise NotFound("Announcements for a subnet come only from its home node.")
    post_id = ids.post_id(object_uri)
    if post_id is not None:  # our own post, announced back to us: its home approved it
        post = await store.visible_post(s, post_id)
        if post is not None and post.subnet_uri == subnet_uri:
            post.moderation_state = "visible"
        return False
    return await store.add_ref(
        s,
        PostRef(
            object_uri=object_uri,
            subnet_uri=subnet_uri,
            author_uri="",
            peer_id=object_peer.id,
            in_reply_to=in_reply_to,
            published=min(published, now),
            received_at=now,
        ),
    )


async def _home_of(s: AsyncSession, subnet_uri: str, peer: Peer) -> bool:
    """Whether `peer` hosts the subnet (and so moderates the posts held for it)."""
    group = await peer_store.remote_actor(s, subnet_uri)
    return group is not None and group.kind == "Group" and group.peer_id == peer.id


@dataclass(frozen=True)
class Authored:
    """A post of ours with its author as the post's subnet knows them."""

    post: Post
    author_uri: str
    author_name: str


async def _authored(s: AsyncSession, ids: LocalIds, post: Post, author: Person) -> Authored:
    uri = await personas.member_uri(s, ids, author.id, post.subnet_uri)
    names = await personas.names_in(s, post.subnet_uri, [author])
    return Authored(post, uri, names[author.id])


async def readable_post(
    s: AsyncSession, ids: LocalIds, *, post_id: str, peer: Peer, reader_uri: str, now: datetime
) -> Authored:
    """A post of ours that `peer` may read for `reader_uri`; the read is audited."""
    post = await store.post_by_id(s, post_id)
    if post is None or not await subnets.node_may_see(s, ids, post.subnet_uri, peer):
        raise NotFound("No such post.")
    if post.deleted_at is not None:
        raise Gone("That post was deleted.")
    readable = await readable_posts(
        s, ids, post_ids=[post.id], peer=peer, reader_uri=reader_uri, now=now
    )
    if not readable:
        raise NotFound("No such post.")
    return readable[0]


async def readable_posts(
    s: AsyncSession,
    ids: LocalIds,
    *,
    post_ids: Sequence[str],
    peer: Peer,
    reader_uri: str,
    now: datetime,
) -> list[Authored]:
    """The subset of `post_ids` that `peer` may read (others are silently absent), audited."""
    allowed = []
    visible: dict[str, bool] = {}
    for post, author in await store.posts_with_authors(s, post_ids):
        if post.subnet_uri not in visible:
            visible[post.subnet_uri] = await subnets.node_may_see(s, ids, post.subnet_uri, peer)
        held = post.moderation_state != "visible"
        if visible[post.subnet_uri] and (not held or await _home_of(s, post.subnet_uri, peer)):
            allowed.append(await _authored(s, ids, post, author))
            await audit.record(
                s,
                at=now,
                who=reader_uri,
                action="remote_read",
                target=ids.post(post.id),
                via=peer.host,
            )
    return allowed


@dataclass(frozen=True)
class Page:
    """A subnet page read from the database, before remote content is resolved."""

    subnet: subnets.SubnetSummary
    local: list[Entry]
    refs: list[PostRef]
    peer_names: dict[str, str]
    likes: dict[str, int]
    reader_uri: str


async def subnet_page(
    s: AsyncSession, ids: LocalIds, *, person: Person, subnet_uri: str, node_name: str
) -> Page:
    summary = await subnets.subnet_for_member(s, ids, person, subnet_uri, node_name)
    rows = await store.local_posts_in(s, subnet_uri, PAGE_SIZE)
    names = await personas.names_in(s, subnet_uri, [author for _, author in rows])
    local = [
        Entry(
            ids.post(post.id),
            post.published,
            names[author.id],
            node_name,
            post.content,
            True,
            post.in_reply_to,
            mine=author.id == person.id,
        )
        for post, author in rows
    ]
    refs = list(await store.refs_in(s, subnet_uri, PAGE_SIZE))
    likes = await reactions.like_counts(s, [e.uri for e in local] + [r.object_uri for r in refs])
    local = [replace(entry, likes=likes.get(entry.uri, 0)) for entry in local]
    peer_names = {peer.id: peer.name for peer in await peer_store.list_peers(s)}
    reader = await personas.member_uri(s, ids, person.id, subnet_uri)
    return Page(summary, local, refs, peer_names, likes, reader)


async def resolve_page(page: Page, resolver: ContentResolver) -> list[Entry]:
    """Fetch the text of remote posts (one batch per home node) and merge, newest first; the
    homes are told which member reads (by their URI in this subnet)."""
    resolved = await resolver.resolve(
        [RefToResolve(ref.object_uri, ref.peer_id) for ref in page.refs], page.reader_uri
    )
    remote = []
    for ref in page.refs:
        found = resolved.get(ref.object_uri)
        remote.append(
            Entry(
                ref.object_uri,
                ref.published,
                found.author_name if found else "",
                page.peer_names.get(ref.peer_id, ""),
                found.content if found else None,
                False,
                ref.in_reply_to,
                page.likes.get(ref.object_uri, 0),
            )
        )
    entries = page.local + remote
    entries.sort(key=lambda entry: entry.published, reverse=True)
    return entries[:PAGE_SIZE]
