"""Sharing a subnet with partner nodes, both directions: Invite, Accept / Reject, Remove, and
the Group's Update when its partners change.

The subnet's home invites a peer node from the Group; the peer's instance actor answers. An
unshare is a Remove of the peer's instance actor from the Group, and every partner hears the
new partner list by an Update of the Group document. Whatever a handler drops from the
database it also drops from the RAM content cache, so an unshare takes effect at once.
Accept and Reject also answer a Join (membership) and acknowledge a Delete (posts).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import membership, sharing
from actors.errors import Invalid
from actors.events import EventKind
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
)
from federation.activities.fields import text_of, type_of
from federation.activities.recipients import live_peer
from federation.remote import id_of
from storage import delete_acks
from storage import peers as peer_store
from storage import subnets as subnet_store
from storage.models import Peer, RemoteActor, new_id

# --- out ------------------------------------------------------------------------------------


async def invite_for_share(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    peer = await live_peer(s, p["peer_id"])
    if peer is None:
        return []
    subnet_uri = ctx.ids.subnet(p["slug"])
    activity = documents.render_invite(
        ctx.ids, new_id(), subnet_uri=subnet_uri, node_actor=peer.instance_actor
    )
    return [(peer, activity, subnet_uri)]


async def answer_for_invite(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    peer = await live_peer(s, p["peer_id"])
    if peer is None:
        return []
    ids = ctx.ids
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


async def remove_for_unshare(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    peer = await live_peer(s, p["peer_id"])
    if peer is None:
        return []
    subnet_uri = ctx.ids.subnet(p["slug"])
    activity = documents.render_remove(
        ctx.ids, new_id(), subnet_uri=subnet_uri, removed=peer.instance_actor
    )
    return [(peer, activity, subnet_uri)]


async def update_for_partners(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """A subnet hosted here gained or lost a partner: each partner gets the new Group."""
    ids = ctx.ids
    subnet = await subnet_store.subnet_by_slug(s, p["slug"])
    if subnet is None:
        return []
    partners = await subnet_store.partners_of(s, subnet.id)
    group = documents.render_group(ids, ctx.keys, subnet, partners)
    uri = ids.subnet(subnet.slug)
    return [
        (peer, documents.render_update(ids, new_id(), actor_uri=uri, document=group), uri)
        for peer in partners
    ]


# --- in -------------------------------------------------------------------------------------


async def forget_subnet_keys(s: AsyncSession, ctx: Handling, subnet_uri: str) -> None:
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is not None:
        ctx.directory.keys.drop([k for k in (group.key_id, group.ed25519_key_id) if k])


async def group_updated(
    s: AsyncSession,
    ctx: Handling,
    peer: Peer,
    group: RemoteActor,
    *,
    previous_partners: Sequence[str] | None,
    now: datetime,
) -> None:
    """A subnet's home sent its Group anew (after `actors.on_update` saved it, having read the
    partner list it replaced): a partner list without us withdraws the subnet; our people in
    it hear of partners that joined or left."""
    if group.peer_id != peer.id:
        return
    if ctx.ids.instance not in group.partners:
        await forget_subnet_keys(s, ctx, group.uri)
    ctx.forget(
        await sharing.group_changed(
            s, ctx.ids, group=group, previous_partners=previous_partners, now=now
        )
    )


async def on_invite(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    subnet_uri, target = id_of(doc.get("actor")), id_of(doc.get("target"))
    if not subnet_uri or target != ctx.ids.instance:
        raise Invalid("an Invite must come from a subnet and name this node as its target")
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None:
        raise Invalid("the inviting subnet's document is not known")
    await sharing.receive_invite(s, peer=peer, group=group, invite_id=doc["id"], now=now)


async def on_accept(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    await _answer(s, ctx, peer, doc, now, accepted=True)


async def on_reject(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    await _answer(s, ctx, peer, doc, now, accepted=False)


async def _answer(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime, *, accepted: bool
) -> None:
    answered = doc.get("object")
    kind = type_of(answered)
    if not isinstance(answered, dict) or kind is None:
        raise Invalid("an Accept or Reject must embed what it answers")
    if kind == "Invite" and id_of(doc.get("actor")) == peer.instance_actor:
        subnet_uri = id_of(answered.get("actor")) or ""
        await sharing.partner_answered(
            s, ctx.ids, peer=peer, subnet_uri=subnet_uri, accepted=accepted, now=now
        )
    elif kind == "Delete" and accepted:
        object_uri = id_of(answered.get("object")) or ""
        await delete_acks.acknowledge(s, object_uri, peer.id, now)
    elif kind == "Join" and accepted:
        await membership.approved_by_home(
            s,
            ctx.ids,
            peer=peer,
            subnet_uri=id_of(answered.get("object")) or "",
            member_uri=id_of(answered.get("actor")) or "",
            now=now,
        )
    elif kind == "Join" and not accepted:
        await membership.removed_by_home(
            s,
            ctx.ids,
            peer=peer,
            subnet_uri=id_of(answered.get("object")) or "",
            member_uri=id_of(answered.get("actor")) or "",
            now=now,
        )


async def on_remove(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    """The Group removed this node (an unshare) or one of our people from the subnet (with the
    reason they are told, in `summary`); a Remove of a post is moderation's (hidden from the
    subnet)."""
    if await moderation.hide_or_ask(s, ctx, peer, doc, now):
        return
    subnet_uri, removed = id_of(doc.get("actor")), id_of(doc.get("object"))
    if not subnet_uri or not removed:
        raise Invalid("a Remove must name the subnet and whom it removes")
    if removed == ctx.ids.instance:
        await forget_subnet_keys(s, ctx, subnet_uri)
        ctx.forget(
            await sharing.subnet_withdrawn(s, ctx.ids, peer=peer, subnet_uri=subnet_uri, now=now)
        )
    else:
        await membership.removed_by_home(
            s,
            ctx.ids,
            peer=peer,
            subnet_uri=subnet_uri,
            member_uri=removed,
            reason=text_of(doc.get("summary")),
            now=now,
        )


PLANNERS: dict[EventKind, Planner] = {
    EventKind.SUBNET_INVITED: invite_for_share,
    EventKind.SHARE_ANSWERED: answer_for_invite,
    EventKind.SUBNET_UNSHARED: remove_for_unshare,
    EventKind.SUBNET_PARTNERS_CHANGED: update_for_partners,
}
HANDLERS: dict[str, Handler] = {
    "Invite": on_invite,
    "Accept": on_accept,
    "Reject": on_reject,
    "Remove": on_remove,
}
