"""Posts across nodes, both directions: Create, Announce, Update (of a Note), Delete.

Out: a post written here goes by reference — `Create{object: <id here>}` to its subnet's home,
or, when the subnet is hosted here, `Announce` to each partner node (a fresh activity per
node, signed by the Group). A partner's post accepted by a subnet hosted here is announced the
same way. Edits and deletions go straight from the post's home to every node taking part in
its subnet (home and partners), signed by our instance actor, so an erasure does not wait on a
second hop; each Delete to a node is recorded in `erasure` until that node acknowledges it.

In: a Create or Announce becomes a reference (`actors.posts`); whatever an Update or Delete
drops from the database is dropped from the RAM content cache too, so it takes effect on this
node at once. An Update or Delete naming another subnet (`audience`) than the post's is
refused: a subnet's content and what is done to it stay in that subnet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas, posts, threads
from actors.errors import Invalid
from actors.events import EventKind
from actors.ids import LocalIds, host_of
from actors.sharing import nodes_taking_part
from federation import documents
from federation.activities import moderation
from federation.activities.context import (
    Activity,
    Handler,
    Handling,
    Payload,
    Planned,
    Planner,
    Planning,
    RunHandler,
    RunPlanner,
)
from federation.activities.fields import audience_of, in_reply_to, time_of, type_of
from federation.activities.recipients import live_peer, partners_of
from federation.remote import id_of
from storage import delete_acks
from storage import peers as peer_store
from storage import posts as post_store
from storage import subnets as subnet_store
from storage.models import Peer, new_id

# --- out ------------------------------------------------------------------------------------


async def create_for_post(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """A post written here, once visible: Announce to the partners of a subnet hosted here,
    else Create to the subnet's home."""
    ids = ctx.ids
    post = await post_store.visible_post(s, p["post_id"])
    local_subnet = post is not None and ids.subnet_slug(post.subnet_uri) is not None
    if post is None or (post.moderation_state != "visible" and local_subnet):
        return []
    slug = ids.subnet_slug(post.subnet_uri)
    if slug is not None:
        return [
            (
                peer,
                documents.render_announce(
                    ids,
                    new_id(),
                    subnet_uri=post.subnet_uri,
                    object_uri=ids.post(post.id),
                    published=post.published,
                    in_reply_to=post.in_reply_to,
                ),
                ids.subnet(slug),
            )
            for peer in await partners_of(s, slug)
        ]
    group = await peer_store.remote_actor(s, post.subnet_uri)
    peer = await peer_store.peer_by_id(s, group.peer_id) if group else None
    author = await personas.member_uri(s, ids, post.author_id, post.subnet_uri)
    activity = documents.render_create(
        ids,
        new_id(),
        author_uri=author,
        object_uri=ids.post(post.id),
        subnet_uri=post.subnet_uri,
        published=post.published,
        in_reply_to=post.in_reply_to,
    )
    return [(peer, activity, author)] if peer else []


async def announce_for_ref(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """A partner's post a subnet hosted here accepted: Announce to each partner node."""
    return (await announce_for_refs(s, ctx, [p], now))[0]


async def announce_for_refs(
    s: AsyncSession, ctx: Planning, payloads: Sequence[Payload], now: datetime
) -> list[Planned]:
    """A run of accepted posts, planned in two queries however many: their references, then
    the partners of every subnet they are in."""
    ids = ctx.ids
    refs = await post_store.refs_by_uri(s, [p["object_uri"] for p in payloads])
    slugs = {ref.object_uri: ids.subnet_slug(ref.subnet_uri) for ref in refs.values()}
    partners = await subnet_store.partners_by_slug(s, {slug for slug in slugs.values() if slug})
    planned: list[Planned] = []
    for p in payloads:
        ref, slug = refs.get(p["object_uri"]), slugs.get(p["object_uri"])
        if ref is None or slug is None:
            planned.append([])
            continue
        planned.append(
            [
                (
                    peer,
                    documents.render_announce(
                        ids,
                        new_id(),
                        subnet_uri=ref.subnet_uri,
                        object_uri=ref.object_uri,
                        published=ref.published,
                        in_reply_to=ref.in_reply_to,
                    ),
                    ids.subnet(slug),
                )
                for peer in partners.get(slug, [])
            ]
        )
    return planned


async def update_for_post(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """Our post was edited: every node of its subnet refetches it. A post screening now holds
    is told too, if partners knew of it: they drop the old text at once, and fetches are
    refused until it is released."""
    ids = ctx.ids
    post = await post_store.visible_post(s, p["post_id"])
    if post is None or post.updated is None:
        return []
    if post.moderation_state != "visible" and not (
        post.moderation_state == "screened" and post.left_home
    ):
        return []
    activity = documents.render_note_update(
        ids,
        new_id(),
        author_uri=ids.instance,
        object_uri=ids.post(post.id),
        subnet_uri=post.subnet_uri,
        updated=post.updated,
    )
    recipients = await nodes_taking_part(s, ids, post.subnet_uri)
    return [(peer, activity, ids.instance) for peer in recipients]


def delete_activity(ids: LocalIds, object_uri: str, subnet_uri: str) -> Activity:
    """The Delete of one of our posts, from our instance actor (also re-sent by housekeeping)."""
    return documents.render_delete(
        ids, new_id(), actor_uri=ids.instance, object_uri=object_uri, subnet_uri=subnet_uri
    )


async def delete_for_post(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """Our post is gone (by its author, a moderator, retention or GDPR erasure)."""
    ids = ctx.ids
    post = await post_store.post_by_id(s, p["post_id"])
    subnet_uri = post.subnet_uri if post is not None else p.get("subnet_uri")
    object_uri = ids.post(p["post_id"])
    if subnet_uri:
        recipients = await nodes_taking_part(s, ids, subnet_uri)
    else:  # erased with no trace of its subnet: tell every peer, leaking only a dead URI
        recipients = [peer for peer in await peer_store.list_peers(s) if peer.state != "removed"]
    activity = delete_activity(ids, object_uri, subnet_uri or object_uri)
    for peer in recipients:
        await delete_acks.expect_ack(
            s,
            object_uri=object_uri,
            subnet_uri=subnet_uri or "",
            actor_uri=ids.instance,
            peer_id=peer.id,
            now=now,
        )
    return [(peer, activity, ids.instance) for peer in recipients]


async def delete_for_ref(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """A subnet hosted here dropped a partner's post: every partner (its author's node too)."""
    subnet_uri, object_uri = p["subnet_uri"], p["object_uri"]
    activity = documents.render_delete(
        ctx.ids, new_id(), actor_uri=subnet_uri, object_uri=object_uri, subnet_uri=subnet_uri
    )
    recipients = await nodes_taking_part(s, ctx.ids, subnet_uri)
    return [(peer, activity, subnet_uri) for peer in recipients]


async def accept_for_erasure(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """We dropped what a peer's Delete named: tell it, so it stops re-sending."""
    peer = await live_peer(s, p["peer_id"])
    if peer is None:
        return []
    deleted = {"id": p["delete_id"], "type": "Delete", "object": p["object_uri"]}
    activity = documents.render_answer(
        ctx.ids, new_id(), accepted=True, actor_uri=ctx.ids.instance, answered=deleted
    )
    return [(peer, activity, ctx.ids.instance)]


# --- in -------------------------------------------------------------------------------------


async def on_create(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    await on_creates(s, ctx, [(peer, doc)], now)


async def on_creates(
    s: AsyncSession, ctx: Handling, run: Sequence[tuple[Peer, Activity]], now: datetime
) -> None:
    """A run of Creates, handled together (`actors.posts.accept_remote_posts`)."""
    offered = []
    for peer, doc in run:
        actor, object_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
        subnet_uri = id_of(doc.get("target")) or id_of(doc.get("audience"))
        if not actor or not object_uri or not subnet_uri or host_of(object_uri) != peer.host:
            raise Invalid("a Create must name its object (on the sender's node) and subnet")
        offered.append(
            posts.OfferedPost(
                peer=peer,
                author_uri=actor,
                object_uri=object_uri,
                subnet_uri=subnet_uri,
                published=time_of(doc.get("published"), now),
                in_reply_to=in_reply_to(doc),
            )
        )
    await posts.accept_remote_posts(s, ctx.ids, offered, now)


def _announced(doc: Activity) -> tuple[str, str]:
    subnet_uri, object_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
    if not subnet_uri or not object_uri:
        raise Invalid("an Announce must name its subnet and object")
    return subnet_uri, object_uri


async def on_announces(
    s: AsyncSession, ctx: Handling, run: Sequence[tuple[Peer, Activity]], now: datetime
) -> None:
    """A run of Announces: those of our own posts (a partner's subnet announcing back what
    our members wrote) together (`actors.posts.own_posts_announced`), the others one by one;
    the two kinds touch different rows, so their order does not matter."""
    own, others = [], []
    for peer, doc in run:
        subnet_uri, object_uri = _announced(doc)
        post_id = ctx.ids.post_id(object_uri)
        if post_id is None:
            others.append((peer, doc))
        else:
            own.append(posts.OwnPostAnnounced(peer, subnet_uri, post_id))
    await posts.own_posts_announced(s, own)
    for peer, doc in others:
        await on_announce(s, ctx, peer, doc, now)


async def on_announce(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    subnet_uri, object_uri = _announced(doc)
    object_peer = await ctx.directory.peers.by_host(host_of(object_uri))
    if object_peer is None and not ctx.ids.is_local(object_uri):
        raise Invalid("the announced object lives on a node we do not federate with")
    await posts.record_announced(
        s,
        ctx.ids,
        peer=peer,
        subnet_uri=subnet_uri,
        object_uri=object_uri,
        object_peer=object_peer or peer,
        published=time_of(doc.get("published"), now),
        now=now,
        in_reply_to=in_reply_to(doc),
    )


async def on_update(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    """A post's content changed at its home: drop the cached copy (refetched when read).
    Updates of anything but a Note or an actor are not understood, and ignored."""
    obj = doc.get("object")
    if type_of(obj) != "Note":
        return
    ctx.forget(
        await threads.object_updated(
            s, ctx.ids, peer=peer, object_uri=id_of(obj) or "", claimed_subnet=audience_of(doc)
        )
    )
    await moderation.edit_told(s, ctx, doc, now)


async def on_delete(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    """A post's home deleted it, or a subnet's home removed it (with a reason for its author);
    a partner moderator's Delete is their asking this home to remove it (moderation)."""
    object_uri = id_of(doc.get("object"))
    if not object_uri:
        raise Invalid("a Delete must name its object")
    if await moderation.removal_asked(s, ctx, peer, doc, now):
        return
    ctx.forget(
        await threads.object_deleted(
            s,
            ctx.ids,
            peer=peer,
            object_uri=object_uri,
            delete_id=doc["id"],
            now=now,
            actor_uri=id_of(doc.get("actor")) or "",
            claimed_subnet=audience_of(doc),
        )
    )
    await moderation.removal_told(s, ctx, peer, doc, now)


PLANNERS: dict[EventKind, Planner] = {
    EventKind.POST_CREATED: create_for_post,
    EventKind.REF_ACCEPTED: announce_for_ref,
    EventKind.POST_UPDATED: update_for_post,
    EventKind.POST_DELETED: delete_for_post,
    EventKind.REF_REMOVED: delete_for_ref,
    EventKind.ERASURE_ACKNOWLEDGED: accept_for_erasure,
}
RUN_PLANNERS: dict[EventKind, RunPlanner] = {EventKind.REF_ACCEPTED: announce_for_refs}
RUN_HANDLERS: dict[str, RunHandler] = {"Create": on_creates, "Announce": on_announces}
HANDLERS: dict[str, Handler] = {
    "Create": on_create,
    "Announce": on_announce,
    "Update": on_update,
    "Delete": on_delete,
}
