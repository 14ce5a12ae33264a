"""People and nodes as other nodes see them, both directions: Update and Delete of an actor
document (a persona, a Group, a node's instance actor).

Out: a member's persona is sent anew to the nodes of its subnet — and no others — when its
name changes, whether chosen for that subnet (`persona.updated`) or their usual pseudonym shown
where they chose none (`person.updated`), and to every subnet's nodes when they choose another
avatar (`person.updated` with `everywhere`). When a person erases their account, each of those
nodes is told by a Delete of each persona (`person.deleted`), from our instance actor since
the persona's own key is gone, and drops the document it holds.

In: an Update of an actor's own document is saved; a node's instance actor that sends a new key
(signed by the key we had pinned) is pinned anew; a Group's Update may withdraw a subnet
(federation/activities/sharing.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import membership, personas
from actors.errors import Invalid
from actors.events import EventKind
from actors.ids import host_of
from actors.personas import Member
from actors.sharing import nodes_taking_part
from federation import documents
from federation.activities import sharing
from federation.activities.context import (
    Activity,
    Handler,
    Handling,
    Payload,
    Planned,
    Planner,
    Planning,
)
from federation.activities.fields import type_of
from federation.keys import fingerprint, load_public_pem
from federation.remote import UnusableActor, id_of, parse_actor
from storage import peers as peer_store
from storage.models import Peer, new_id

log = logging.getLogger(__name__)

ACTOR_TYPES = frozenset({"Application", "Group", "Organization", "Person", "Service"})

# --- out ------------------------------------------------------------------------------------


async def _update_member(s: AsyncSession, ctx: Planning, member: Member) -> Planned:
    ids = ctx.ids
    document = documents.render_member(
        ids, ctx.keys, member.uri, member.name, member.role_tag, member.avatar
    )
    activity = documents.render_update(ids, new_id(), actor_uri=member.uri, document=document)
    recipients = await nodes_taking_part(s, ids, member.persona.subnet_uri)
    return [(peer, activity, member.uri) for peer in recipients]


async def update_for_persona(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """A member chose a new name in one subnet: that subnet's nodes, and no others, hear."""
    member = await personas.local_member(s, ctx.ids, ctx.ids.member(p["persona_id"]))
    return await _update_member(s, ctx, member) if member is not None else []


async def update_for_person(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """A person changed their usual pseudonym: each subnet where it is the name shown hears
    (every subnet, for a new avatar)."""
    planned: Planned = []
    for member in await personas.members_of(s, ctx.ids, p["person_id"]):
        if member.persona.pseudonym is None or p.get("everywhere"):
            planned += await _update_member(s, ctx, member)
    return planned


async def delete_for_person(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """A person erased their account: each subnet's nodes drop that subnet's persona."""
    ids, planned = ctx.ids, []
    for member_uri, subnet_uri in p.get("members", []):
        activity = documents.render_persona_delete(
            ids, new_id(), member_uri=member_uri, subnet_uri=subnet_uri
        )
        for peer in await nodes_taking_part(s, ids, subnet_uri):
            planned.append((peer, activity, ids.instance))
    return planned


# --- in -------------------------------------------------------------------------------------


def about_actor(doc: Activity) -> bool:
    """Whether an Update or Delete is about an actor document rather than a post."""
    obj = doc.get("object")
    if doc.get("type") == "Delete":
        return isinstance(obj, dict) and obj.get("formerType") in ACTOR_TYPES
    return type_of(obj) in ACTOR_TYPES


async def on_update(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    obj = doc.get("object")
    if not isinstance(obj, dict) or obj.get("id") != id_of(doc.get("actor")):
        return  # only self-updates of actor documents are understood so far
    try:
        actor = parse_actor({"@context": doc["@context"], **obj}, peer, now)
    except UnusableActor as error:
        raise Invalid(str(error)) from None
    before = await peer_store.remote_actor(s, actor.uri)
    partners = await peer_store.partners_listed(s, actor.uri) if actor.kind == "Group" else None
    await peer_store.save_remote_actor(s, actor)
    if actor.uri == peer.instance_actor and actor.public_key_pem:
        # Signed by the key we had pinned, the peer's node vouches for its new key.
        new_pin = fingerprint(load_public_pem(actor.public_key_pem))
        if new_pin != peer.key_fingerprint:
            await peer_store.repin(s, peer.id, new_pin)
            ctx.directory.peers.forget()
            log.info("peer %s rotated its keys; new key %s pinned", peer.host, new_pin)
    if before is not None:
        ctx.directory.retire(before)
    if actor.kind == "Group":
        await sharing.group_updated(s, ctx, peer, actor, previous_partners=partners, now=now)


async def on_delete(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    """A partner's person erased their account: drop the persona document we hold."""
    member_uri = id_of(doc.get("object"))
    if not member_uri or host_of(member_uri) != peer.host:
        raise Invalid("a Delete of a person must name a persona on the sender's node")
    if id_of(doc.get("actor")) not in (peer.instance_actor, member_uri):
        raise Invalid("a person is deleted by their node or by themselves")
    before = await peer_store.remote_actor(s, member_uri)
    await membership.erased_at_home(s, peer=peer, member_uri=member_uri)
    if before is not None:
        ctx.directory.retire(before)


PLANNERS: dict[EventKind, Planner] = {
    EventKind.PERSONA_UPDATED: update_for_persona,
    EventKind.PERSON_UPDATED: update_for_person,
    EventKind.PERSON_DELETED: delete_for_person,
}
HANDLERS: dict[str, Handler] = {
    "Update actor": on_update,
    "Delete actor": on_delete,
}
