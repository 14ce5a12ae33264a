"""Threads after the first post: edits, deletes, Likes — and what other nodes tell us of theirs.

Every change travels by reference. A delete erases the text at home (the row stays as a
tombstone, so fetches answer 410) and every node that hears of it drops its reference, Likes
and cache entry at once, then acknowledges; the home re-sends until each partner has.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, notices, personas, report_outcomes, screened, subnets
from actors.errors import NotFound, NotPermitted
from actors.events import EventKind
from actors.ids import LocalIds, host_of
from actors.policy import STAFF
from actors.posts import checked_content, subnet_of_known
from actors.screening import Screener
from storage import audit, reactions
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


async def post_to_edit(s: AsyncSession, ids: LocalIds, *, person: Person, post_uri: str) -> Post:
    """The author's own post, for the edit page (NotFound for anyone else: no hint it exists)."""
    post = await _own_post(s, ids, post_uri)
    if post.author_id != person.id:
        raise NotFound("There is no such post.")
    return post


async def edit_post(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    post_uri: str,
    content: str,
    now: datetime,
    screener: Screener,
) -> Post:
    """The author edits their post; it is screened again, and other nodes drop their cached
    copy. A post screening holds is served to no other node until a clinician here releases
    it: an edit that holds a post partners already know records `post.updated` all the same,
    so they drop the old text at once rather than when their cache expires; an edit of a post
    held since it was written records nothing."""
    post = await _own_post(s, ids, post_uri)
    if post.author_id != person.id:
        raise NotPermitted("Only its author can edit a post.")
    content = checked_content(content)
    summary = await subnets.summary(s, ids, post.subnet_uri, "")
    screening = screener.screen(content)
    hold = screened.holds(screening, hold_concern=summary.hold_concern)
    if post.moderation_state == "visible":  # published, perhaps after pre-moderation
        post.left_home = True
    post.content, post.updated = content, now
    screened.record_on(post, screening)
    await screened.raise_alert(s, ids, post=post, screening=screening, held=hold, now=now)
    if hold or post.moderation_state == screened.SCREENED:
        post.moderation_state = screened.SCREENED
        if post.left_home:
            await events.record(s, EventKind.POST_UPDATED, {"post_id": post.id}, now)
        return post
    if summary.premoderation and person.role not in STAFF:
        return await _back_to_moderators(s, ids, post, local=summary.local, now=now)
    await events.record(s, EventKind.POST_UPDATED, {"post_id": post.id}, now)
    return post


async def _back_to_moderators(
    s: AsyncSession, ids: LocalIds, post: Post, *, local: bool, now: datetime
) -> Post:
    """In a pre-moderated subnet an edit waits for a moderator like a new post: hidden from
    every other node (served to the subnet's home only) until approved."""
    was, post.moderation_state = post.moderation_state, "held"
    await notices.tell_author(
        s, ids, post_uri=ids.post(post.id), kind=notices.NoticeKind.POST_HELD, now=now
    )
    if local:
        if was == "visible":
            await events.record(
                s,
                EventKind.MODERATION_HIDDEN,
                {"object_uri": ids.post(post.id), "subnet_uri": post.subnet_uri},
                now,
            )
        return post
    await events.record(s, EventKind.MODERATION_EDITED, {"post_id": post.id}, now)
    return post


async def delete_post(
    s: AsyncSession, ids: LocalIds, *, person: Person, post_uri: str, now: datetime
) -> None:
    """The author, or a moderator of the subnet, deletes a post written here."""
    post = await _own_post(s, ids, post_uri)
    if post.author_id != person.id and not await is_moderator(s, ids, person, post.subnet_uri):
        raise NotPermitted("Only its author or a moderator can delete a post.")
    await erase(s, ids, post=post, now=now, who=ids.person(person.id))


async def erase(
    s: AsyncSession,
    ids: LocalIds,
    *,
    post: Post,
    now: datetime,
    who: str,
    outcome: report_outcomes.Outcome = "deleted",
) -> None:
    """Erase a post's text (`outcome` closes its reports: its author deleted it, or a
    moderator removed it); partners hear of it, unless screening held it since it was
    written (they never knew of it)."""
    never_left = post.moderation_state == screened.SCREENED and not post.left_home
    await store.tombstone(s, post, now)
    await reactions.drop_reactions_to(s, ids.post(post.id))
    await report_outcomes.settle(s, object_uri=ids.post(post.id), outcome=outcome, now=now)
    if not never_left:
        await events.record(
            s,
            EventKind.POST_DELETED,
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
        await events.record(
            s,
            EventKind.MODERATION_DELETE,
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
    await report_outcomes.settle(s, object_uri=object_uri, outcome="removed", now=now)
    await events.record(
        s, EventKind.REF_REMOVED, {"object_uri": object_uri, "subnet_uri": ref.subnet_uri}, now
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
    claimed_subnet: str | None = None,
) -> list[str]:
    """A node deleted an object: its home (any object of its own) or a subnet's home (anything
    in that subnet). Drop the reference and Likes, erase our own post if it was ours, and
    acknowledge. Returns the URIs to drop from the RAM cache. A Delete that names another
    subnet than the object's is refused."""
    ref = await store.ref_by_uri(s, object_uri)
    post_id = ids.post_id(object_uri)
    post = await store.post_by_id(s, post_id) if post_id else None
    subnet_uri = ref.subnet_uri if ref else (post.subnet_uri if post else None)
    _same_subnet(subnet_uri, claimed_subnet)
    from_home = host_of(object_uri) == peer.host
    from_subnet_home = subnet_uri is not None and await _hosts(s, peer, subnet_uri)
    if not from_home and not from_subnet_home:
        if subnet_uri is None or not await _granted_moderator(s, ids, peer, actor_uri, subnet_uri):
            raise NotPermitted("Only an object's home or its subnet's home can delete it.")
        await _moderate_here(s, ids, post=post, object_uri=object_uri, who=actor_uri, now=now)
        return [object_uri]
    # A subnet's home other than the post's own removed it; else its author deleted it.
    outcome: report_outcomes.Outcome = (
        "removed" if from_subnet_home and not from_home else "deleted"
    )
    if ref is not None:
        await store.delete_ref(s, object_uri)
        await report_outcomes.settle(s, object_uri=object_uri, outcome=outcome, now=now)
    await reactions.drop_reactions_to(s, object_uri)
    if post is not None and post.deleted_at is None and from_subnet_home:
        await erase(s, ids, post=post, now=now, who=peer.instance_actor, outcome=outcome)
    await events.record(
        s,
        EventKind.ERASURE_ACKNOWLEDGED,
        {"peer_id": peer.id, "delete_id": delete_id, "object_uri": object_uri},
        now,
    )
    return [object_uri]


async def _granted_moderator(
    s: AsyncSession, ids: LocalIds, peer: Peer, actor_uri: str, subnet_uri: str
) -> bool:
    """A person on `peer` whom this subnet's home (us) made a moderator of it."""
    if host_of(actor_uri) != peer.host or ids.subnet_slug(subnet_uri) is None:
        return False
    row = await subnet_store.membership(s, subnet_uri, actor_uri)
    return row is not None and row.role == "moderator"


async def _moderate_here(
    s: AsyncSession, ids: LocalIds, *, post: Post | None, object_uri: str, who: str, now: datetime
) -> None:
    """Apply a granted moderator's removal at the subnet's home, which announces it."""
    if post is not None:
        if post.deleted_at is None:
            await erase(s, ids, post=post, now=now, who=who, outcome="removed")
        return
    await remove_reference(s, ids, person=None, object_uri=object_uri, now=now)
    await audit.record(s, at=now, who=who, action="moderation.delete", target=object_uri)


async def _hosts(s: AsyncSession, peer: Peer, subnet_uri: str) -> bool:
    group = await peer_store.remote_actor(s, subnet_uri)
    return group is not None and group.kind == "Group" and group.peer_id == peer.id


async def object_updated(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    object_uri: str,
    claimed_subnet: str | None = None,
) -> list[str]:
    """An object's home edited it: our cached copy is stale (nothing on disk changes)."""
    if host_of(object_uri) != peer.host:
        raise NotPermitted("Only an object's home can update it.")
    _same_subnet(await subnet_of_known(s, ids, object_uri), claimed_subnet)
    return [object_uri]


def _same_subnet(known: str | None, claimed: str | None) -> None:
    """An activity about a post may not name another subnet than the one the post is in."""
    if known is not None and claimed is not None and claimed != known:
        raise NotPermitted("That post is in another subnet than the activity names.")


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
        kind = EventKind.REACTION_REMOVED if undo else EventKind.REACTION_ADDED
        payload = {"object_uri": object_uri, "subnet_uri": subnet_uri, "actor_uri": actor}
        await events.record(s, kind, payload, now)
    if changed and not undo:
        await notices.tell_author(
            s, ids, post_uri=object_uri, kind=notices.NoticeKind.LIKE, actor_uri=actor, now=now
        )
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
    claimed_subnet: str | None = None,
) -> None:
    """A person on a partner node liked a post in a subnet that node takes part in; when the
    subnet is hosted here, they must be a member of it."""
    if host_of(actor_uri) != peer.host:
        raise NotPermitted("A Like must come from its actor's node.")
    subnet_uri = await _subnet_of(s, ids, object_uri)
    _same_subnet(subnet_uri, claimed_subnet)
    if not await subnets.node_may_see(s, ids, subnet_uri, peer):
        raise NotFound("No such subnet is shared with that node.")
    if ids.subnet_slug(subnet_uri) is not None:
        await subnets.require_member(s, subnet_uri, actor_uri)
    if undo:
        await reactions.remove_reaction(s, object_uri=object_uri, actor_uri=actor_uri)
    elif await reactions.add_reaction(
        s, object_uri=object_uri, actor_uri=actor_uri, subnet_uri=subnet_uri, now=now
    ):
        await notices.tell_author(
            s, ids, post_uri=object_uri, kind=notices.NoticeKind.LIKE, actor_uri=actor_uri, now=now
        )
