"""Threads after the first post: edits, deletes, Likes — and what other nodes tell us of theirs.

Every change travels by reference. A delete erases the text at home (the row stays as a
tombstone, so fetches answer 410) and every node that hears of it drops its reference, Likes
and cache entry at once, then acknowledges; the home re-sends until each partner has.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas, subnets
from actors.errors import NotFound, NotPermitted
from actors.ids import LocalIds
from actors.policy import STAFF
from actors.posts import checked_content
from storage import audit, queues, reactions
from storage import peers as peer_store
from storage import posts as store
from storage import subnets as subnet_store
from storage.models import Peer, Person, Post


async def _own_post(s: AsyncSession, ids: LocalIds, post_uri: str) -> Post:
    post_id = ids.post_id(post_uri)
    post = await store.visible_post(s, post_id) if post_id else None
    if post is None:
        raise NotFound("There is no such post.")
    return post


async def is_moderator(s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str) -> bool:
    """Staff who are members of a subnet hosted here moderate it; so does anyone its home
    granted moderator rights (a clinician at a partner trust)."""
    if person.role not in STAFF:
        return False
    uri = await personas.find_member_uri(s, ids, person.id, subnet_uri)
    row = await subnet_store.membership(s, subnet_uri, uri) if uri else None
    if row is None:
        return False
    return ids.subnet_slug(subnet_uri) is not None or row.role == "moderator"


async def edit_post(
    s: AsyncSession, ids: LocalIds, *, person: Person, post_uri: str, content: str, now: datetime
) -> Post:
    """The author edits their post; other nodes drop their cached copy."""
    post = await _own_post(s, ids, post_uri)
    if post.author_id != person.id:
        raise NotPermitted("Only its author can edit a post.")
    post.content, post.updated = checked_content(content), now
    await queues.add_event(s, "post.updated", {"post_id": post.id}, now)
    return post


async def delete_post(
    s: AsyncSession, ids: LocalIds, *, person: Person, post_uri: str, now: datetime
) -> None:
    """The author, or a moderator of the subnet, deletes a post written here."""
    post = await _own_post(s, ids, post_uri)
    if post.author_id != person.id and not await is_moderator(s, ids, person, post.subnet_uri):
        raise NotPermitted("Only its author or a moderator can delete a post.")
    await erase(s, ids, post=post, now=now, who=ids.person(person.id))


async def erase(s: AsyncSession, ids: LocalIds, *, post: Post, now: datetime, who: str) -> None:
    await store.tombstone(s, post, now)
    await reactions.drop_reactions_to(s, ids.post(post.id))
    await queues.add_event(
        s,
        "post.deleted",
        {"post_id": post.id, "subnet_uri": post.subnet_uri, "author_id": post.author_id},
        now,
    )
    await audit.record(s, at=now, who=who, action="post.deleted", target=ids.post(post.id))


async def remove_reference(
    s: AsyncSession, ids: LocalIds, *, person: Person | None, object_uri: str, now: datetime
) -> None:
    """A moderator of a subnet hosted here removes a partner's post from it (or retention
    does, with `person` None): its author's node is told to erase it, partners to drop it."""
    ref = await store.ref_by_uri(s, object_uri)
    if ref is None:
        raise NotFound("There is no such post in a subnet hosted here.")
    if person is not None and not await is_moderator(s, ids, person, ref.subnet_uri):
        raise NotPermitted("Only a moderator of this subnet can remove posts from it.")
    if ids.subnet_slug(ref.subnet_uri) is None:  # a granted moderator: the home decides
        await queues.add_event(
            s,
            "moderation.delete",
            {
                "subnet_uri": ref.subnet_uri,
                "object_uri": object_uri,
                "actor_uri": await personas.member_uri(s, ids, person.id, ref.subnet_uri)
                if person
                else ids.instance,
            },
            now,
        )
        return
    await store.delete_ref(s, object_uri)
    await reactions.drop_reactions_to(s, object_uri)
    await queues.add_event(
        s, "ref.removed", {"object_uri": object_uri, "subnet_uri": ref.subnet_uri}, now
    )
    who = ids.person(person.id) if person else "retention"
    await audit.record(s, at=now, who=who, action="ref.removed", target=object_uri)


async def object_deleted(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    object_uri: str,
    delete_id: str,
    now: datetime,
    actor_uri: str = "",
) -> list[str]:
    """A node deleted an object: its home (any object of its own) or a subnet's home (anything
    in that subnet). Drop the reference and Likes, erase our own post if it was ours, and
    acknowledge. Returns the URIs to drop from the RAM cache."""
    ref = await store.ref_by_uri(s, object_uri)
    post_id = ids.post_id(object_uri)
    post = await store.post_by_id(s, post_id) if post_id else None
    subnet_uri = ref.subnet_uri if ref else (post.subnet_uri if post else None)
    from_home = _host(object_uri) == peer.host
    from_subnet_home = subnet_uri is not None and await _hosts(s, peer, subnet_uri)
    if not from_home and not from_subnet_home:
        if subnet_uri is None or not await _granted_moderator(s, ids, peer, actor_uri, subnet_uri):
            raise NotPermitted("Only an object's home or its subnet's home can delete it.")
        await _moderate_here(s, ids, post=post, object_uri=object_uri, who=actor_uri, now=now)
        return [object_uri]
    if ref is not None:
        await store.delete_ref(s, object_uri)
    await reactions.drop_reactions_to(s, object_uri)
    if post is not None and post.deleted_at is None and from_subnet_home:
        await erase(s, ids, post=post, now=now, who=peer.instance_actor)
    await queues.add_event(
        s,
        "erasure.acknowledged",
        {"peer_id": peer.id, "delete_id": delete_id, "object_uri": object_uri},
        now,
    )
    return [object_uri]


async def _granted_moderator(
    s: AsyncSession, ids: LocalIds, peer: Peer, actor_uri: str, subnet_uri: str
) -> bool:
    """A person on `peer` whom this subnet's home (us) made a moderator of it."""
    if _host(actor_uri) != peer.host or ids.subnet_slug(subnet_uri) is None:
        return False
    row = await subnet_store.membership(s, subnet_uri, actor_uri)
    return row is not None and row.role == "moderator"


async def _moderate_here(
    s: AsyncSession, ids: LocalIds, *, post: Post | None, object_uri: str, who: str, now: datetime
) -> None:
    """Apply a granted moderator's removal at the subnet's home, which announces it."""
    if post is not None:
        if post.deleted_at is None:
            await erase(s, ids, post=post, now=now, who=who)
        return
    await remove_reference(s, ids, person=None, object_uri=object_uri, now=now)
    await audit.record(s, at=now, who=who, action="moderation.delete", target=object_uri)


async def _hosts(s: AsyncSession, peer: Peer, subnet_uri: str) -> bool:
    group = await peer_store.remote_actor(s, subnet_uri)
    return group is not None and group.kind == "Group" and group.peer_id == peer.id


async def object_updated(s: AsyncSession, *, peer: Peer, object_uri: str) -> list[str]:
    """An object's home edited it: our cached copy is stale (nothing on disk changes)."""
    if _host(object_uri) != peer.host:
        raise NotPermitted("Only an object's home can update it.")
    return [object_uri]


async def _subnet_of(s: AsyncSession, ids: LocalIds, object_uri: str) -> str:
    post_id = ids.post_id(object_uri)
    if post_id is not None:
        post = await store.visible_post(s, post_id)
        if post is not None and post.moderation_state == "visible":
            return post.subnet_uri
    ref = await store.ref_by_uri(s, object_uri)
    if ref is not None:
        return ref.subnet_uri
    raise NotFound("There is no such post.")


async def like(
    s: AsyncSession, ids: LocalIds, *, person: Person, object_uri: str, now: datetime, undo: bool
) -> bool:
    """A member likes a post (or takes the Like back); nodes of the subnet hear of it."""
    subnet_uri = await _subnet_of(s, ids, object_uri)
    actor = await personas.member_uri(s, ids, person.id, subnet_uri)
    await subnets.require_member(s, subnet_uri, actor)
    if undo:
        changed = await reactions.remove_reaction(s, object_uri=object_uri, actor_uri=actor)
    else:
        changed = await reactions.add_reaction(
            s, object_uri=object_uri, actor_uri=actor, subnet_uri=subnet_uri, now=now
        )
    if changed:
        kind = "reaction.removed" if undo else "reaction.added"
        payload = {"object_uri": object_uri, "subnet_uri": subnet_uri, "actor_uri": actor}
        await queues.add_event(s, kind, payload, now)
    return changed


async def remote_like(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    actor_uri: str,
    object_uri: str,
    now: datetime,
    undo: bool,
) -> None:
    """A person on a partner node liked a post in a subnet that node takes part in."""
    if _host(actor_uri) != peer.host:
        raise NotPermitted("A Like must come from its actor's node.")
    subnet_uri = await _subnet_of(s, ids, object_uri)
    if not await subnets.node_may_see(s, ids, subnet_uri, peer):
        raise NotFound("No such subnet is shared with that node.")
    if undo:
        await reactions.remove_reaction(s, object_uri=object_uri, actor_uri=actor_uri)
    else:
        await reactions.add_reaction(
            s, object_uri=object_uri, actor_uri=actor_uri, subnet_uri=subnet_uri, now=now
        )


def _host(uri: str) -> str:
    return urlsplit(uri).netloc
