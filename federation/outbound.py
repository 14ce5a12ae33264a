"""What the subnet-federation events become: one activity and its recipient nodes each.

`Deliverer._plan` asks `PLANNERS[event.kind]` for (peer, activity, signer) triples; this module
only decides *what* to send *to whom*. Deletes and edits go straight from the object's home to
every node taking part in its subnet (home and partners), signed by our instance actor, so an
erasure does not wait on a second hop; each Delete to a node is recorded in `erasure` until
that node acknowledges it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas
from actors.ids import LocalIds
from actors.sharing import nodes_taking_part
from federation import documents
from federation.keys import NodeKeys
from federation.remote import host_of
from storage import erasures
from storage import peers as peer_store
from storage import posts as post_store
from storage.models import Peer, new_id

Planned = list[tuple[Peer, dict[str, Any], str]]
Planner = Callable[[AsyncSession, LocalIds, dict[str, Any], datetime], Awaitable[Planned]]


async def _peer(s: AsyncSession, peer_id: str) -> Peer | None:
    peer = await peer_store.peer_by_id(s, peer_id)
    return peer if peer is not None and peer.state != "removed" else None


async def invited(s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime) -> Planned:
    peer = await _peer(s, p["peer_id"])
    if peer is None:
        return []
    subnet_uri = ids.subnet(p["slug"])
    activity = documents.render_invite(
        ids, new_id(), subnet_uri=subnet_uri, node_actor=peer.instance_actor
    )
    return [(peer, activity, subnet_uri)]


async def share_answered(
    s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime
) -> Planned:
    peer = await _peer(s, p["peer_id"])
    if peer is None:
        return []
    invite = {
        "id": p["invite_id"],
        "type": "Invite",
        "actor": p["subnet_uri"],
        "object": p["subnet_uri"],
        "target": ids.instance,
    }
    activity = documents.render_answer(
        ids, new_id(), accepted=p["accepted"], actor_uri=ids.instance, answered=invite
    )
    return [(peer, activity, ids.instance)]


async def unshared(s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime) -> Planned:
    peer = await _peer(s, p["peer_id"])
    if peer is None:
        return []
    subnet_uri = ids.subnet(p["slug"])
    activity = documents.render_remove(
        ids, new_id(), subnet_uri=subnet_uri, removed=peer.instance_actor
    )
    return [(peer, activity, subnet_uri)]


def delete_activity(ids: LocalIds, object_uri: str, subnet_uri: str) -> dict[str, Any]:
    return documents.render_delete(
        ids, new_id(), actor_uri=ids.instance, object_uri=object_uri, subnet_uri=subnet_uri
    )


async def post_deleted(s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime) -> Planned:
    """Our post is gone (by its author, a moderator, retention or GDPR erasure)."""
    post = await post_store.post_by_id(s, p["post_id"])
    subnet_uri = post.subnet_uri if post is not None else p.get("subnet_uri")
    object_uri = ids.post(p["post_id"])
    if subnet_uri:
        recipients = await nodes_taking_part(s, ids, subnet_uri)
    else:  # erased with no trace of its subnet: tell every peer, leaking only a dead URI
        recipients = [peer for peer in await peer_store.list_peers(s) if peer.state != "removed"]
    activity = delete_activity(ids, object_uri, subnet_uri or object_uri)
    for peer in recipients:
        await erasures.expect_ack(
            s,
            object_uri=object_uri,
            subnet_uri=subnet_uri or "",
            actor_uri=ids.instance,
            peer_id=peer.id,
            now=now,
        )
    return [(peer, activity, ids.instance) for peer in recipients]


async def ref_removed(s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime) -> Planned:
    """A subnet hosted here dropped a partner's post: every partner (its author's node too)."""
    subnet_uri, object_uri = p["subnet_uri"], p["object_uri"]
    activity = documents.render_delete(
        ids, new_id(), actor_uri=subnet_uri, object_uri=object_uri, subnet_uri=subnet_uri
    )
    return [(peer, activity, subnet_uri) for peer in await nodes_taking_part(s, ids, subnet_uri)]


async def post_updated(s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime) -> Planned:
    post = await post_store.visible_post(s, p["post_id"])
    if post is None or post.updated is None or post.moderation_state != "visible":
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


async def erasure_acknowledged(
    s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime
) -> Planned:
    peer = await _peer(s, p["peer_id"])
    if peer is None:
        return []
    deleted = {"id": p["delete_id"], "type": "Delete", "object": p["object_uri"]}
    activity = documents.render_answer(
        ids, new_id(), accepted=True, actor_uri=ids.instance, answered=deleted
    )
    return [(peer, activity, ids.instance)]


async def reaction(s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime) -> Planned:
    like = documents.render_like(
        ids,
        new_id(),
        actor_uri=p["actor_uri"],
        object_uri=p["object_uri"],
        subnet_uri=p["subnet_uri"],
    )
    recipients = await nodes_taking_part(s, ids, p["subnet_uri"])
    return [(peer, like, p["actor_uri"]) for peer in recipients]


async def unreaction(s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime) -> Planned:
    planned = await reaction(s, ids, p, now)
    return [
        (peer, documents.render_undo(ids, new_id(), actor_uri=signer, undone=like), signer)
        for peer, like, signer in planned
    ]


async def _home_of(s: AsyncSession, subnet_uri: str) -> Peer | None:
    group = await peer_store.remote_actor(s, subnet_uri)
    return await _peer(s, group.peer_id) if group is not None else None


async def left(s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime) -> Planned:
    home = await _home_of(s, p["subnet_uri"])
    if home is None:
        return []
    activity = documents.render_leave(
        ids, new_id(), member_uri=p["member_uri"], subnet_uri=p["subnet_uri"]
    )
    return [(home, activity, p["member_uri"])]


async def _member_node(s: AsyncSession, member_uri: str) -> Peer | None:
    peer = await peer_store.peer_by_host(s, host_of(member_uri))
    return peer if peer is not None and peer.state != "removed" else None


async def member_removed(
    s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime
) -> Planned:
    peer = await _member_node(s, p["member_uri"])
    if peer is None:
        return []
    activity = documents.render_remove(
        ids, new_id(), subnet_uri=p["subnet_uri"], removed=p["member_uri"]
    )
    return [(peer, activity, p["subnet_uri"])]


async def join_answered(
    s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime
) -> Planned:
    peer = await _member_node(s, p["member_uri"])
    if peer is None:
        return []
    join = {"type": "Join", "actor": p["member_uri"], "object": p["subnet_uri"]}
    activity = documents.render_answer(
        ids, new_id(), accepted=p["accepted"], actor_uri=p["subnet_uri"], answered=join
    )
    return [(peer, activity, p["subnet_uri"])]


async def moderator_granted(
    s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime
) -> Planned:
    peer = await _member_node(s, p["member_uri"])
    if peer is None:
        return []
    activity = documents.render_add_moderator(
        ids, new_id(), subnet_uri=p["subnet_uri"], member_uri=p["member_uri"]
    )
    return [(peer, activity, p["subnet_uri"])]


async def moderation_delete(
    s: AsyncSession, ids: LocalIds, p: dict[str, Any], now: datetime
) -> Planned:
    """A granted moderator here removes a post from a subnet hosted elsewhere: the home
    decides and announces."""
    home = await _home_of(s, p["subnet_uri"])
    if home is None:
        return []
    activity = documents.render_delete(
        ids,
        new_id(),
        actor_uri=p["actor_uri"],
        object_uri=p["object_uri"],
        subnet_uri=p["subnet_uri"],
    )
    return [(home, activity, p["actor_uri"])]


async def persona_updated(
    s: AsyncSession, ids: LocalIds, keys: NodeKeys, p: dict[str, Any], now: datetime
) -> Planned:
    """A member chose a new name in one subnet: that subnet's nodes, and no others, hear."""
    member = await personas.local_member(s, ids, ids.member(p["persona_id"]))
    if member is None:
        return []
    document = documents.render_member(ids, keys, member.uri, member.name)
    activity = documents.render_update(ids, new_id(), actor_uri=member.uri, document=document)
    recipients = await nodes_taking_part(s, ids, member.persona.subnet_uri)
    return [(peer, activity, member.uri) for peer in recipients]


PLANNERS: dict[str, Planner] = {
    "subnet.invited": invited,
    "share.answered": share_answered,
    "subnet.unshared": unshared,
    "post.deleted": post_deleted,
    "ref.removed": ref_removed,
    "post.updated": post_updated,
    "erasure.acknowledged": erasure_acknowledged,
    "reaction.added": reaction,
    "reaction.removed": unreaction,
    "membership.left": left,
    "membership.removed": member_removed,
    "join.answered": join_answered,
    "moderator.granted": moderator_granted,
    "moderation.delete": moderation_delete,
}


async def plan(
    s: AsyncSession, ids: LocalIds, keys: NodeKeys, kind: str, p: dict[str, Any], now: datetime
) -> Planned | None:
    """The (peer, activity, signer) triples an event calls for; None for kinds planned
    elsewhere."""
    if kind == "persona.updated":
        return await persona_updated(s, ids, keys, p, now)
    planner = PLANNERS.get(kind)
    return await planner(s, ids, p, now) if planner is not None else None
