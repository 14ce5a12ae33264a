"""Membership of subnets across nodes, both directions: Join, Leave, Add (a moderator), and the
home's Remove of a member or answer to a Join.

A Join or Leave goes from the member's node to the subnet's home, signed by the member's
persona; the home answers, removes or grants from the Group to the member's node. Whether a
node may do so is decided in `actors.membership`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import membership
from actors.errors import Invalid
from actors.events import EventKind
from federation import documents
from federation.activities.context import (
    Activity,
    Handler,
    Handling,
    Payload,
    Planned,
    Planner,
    Planning,
)
from federation.activities.recipients import home_of, member_node
from federation.remote import id_of
from storage import peers as peer_store
from storage.models import Peer, new_id

# --- out ------------------------------------------------------------------------------------


async def join_for_membership(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """One of our people joined a subnet hosted elsewhere: its home hears."""
    group = await peer_store.remote_actor(s, p["subnet_uri"])
    peer = await peer_store.peer_by_id(s, group.peer_id) if group else None
    activity = documents.render_join(
        ctx.ids,
        new_id(),
        member_uri=p["member_uri"],
        subnet_uri=p["subnet_uri"],
        joins_as=p.get("joins_as"),
    )
    return [(peer, activity, p["member_uri"])] if peer else []


async def leave_for_membership(
    s: AsyncSession, ctx: Planning, p: Payload, now: datetime
) -> Planned:
    home = await home_of(s, p["subnet_uri"])
    if home is None:
        return []
    activity = documents.render_leave(
        ctx.ids, new_id(), member_uri=p["member_uri"], subnet_uri=p["subnet_uri"]
    )
    return [(home, activity, p["member_uri"])]


async def remove_for_membership(
    s: AsyncSession, ctx: Planning, p: Payload, now: datetime
) -> Planned:
    peer = await member_node(s, p["member_uri"])
    if peer is None:
        return []
    activity = documents.render_remove(
        ctx.ids, new_id(), subnet_uri=p["subnet_uri"], removed=p["member_uri"]
    )
    if p.get("reason"):  # what its person is told, and nothing else about them
        activity["summary"] = p["reason"]
    return [(peer, activity, p["subnet_uri"])]


async def answer_for_join(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    peer = await member_node(s, p["member_uri"])
    if peer is None:
        return []
    join = {"type": "Join", "actor": p["member_uri"], "object": p["subnet_uri"]}
    activity = documents.render_answer(
        ctx.ids, new_id(), accepted=p["accepted"], actor_uri=p["subnet_uri"], answered=join
    )
    return [(peer, activity, p["subnet_uri"])]


async def add_for_moderator(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    peer = await member_node(s, p["member_uri"])
    if peer is None:
        return []
    activity = documents.render_add_moderator(
        ctx.ids, new_id(), subnet_uri=p["subnet_uri"], member_uri=p["member_uri"]
    )
    return [(peer, activity, p["subnet_uri"])]


# --- in -------------------------------------------------------------------------------------


async def on_join(s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime) -> None:
    member, subnet_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
    if not member or not subnet_uri:
        raise Invalid("a Join must name its subnet")
    await membership.remote_join(
        s,
        ctx.ids,
        peer=peer,
        subnet_uri=subnet_uri,
        member_uri=member,
        now=now,
        joins_as=doc.get("joinsAs"),
    )


async def on_leave(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    member, subnet_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
    if not member or not subnet_uri:
        raise Invalid("a Leave must name its subnet")
    await membership.remote_leave(s, ctx.ids, peer=peer, subnet_uri=subnet_uri, member_uri=member)


async def on_add(s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime) -> None:
    """A subnet's home made one of our people a moderator of it."""
    subnet_uri, member = id_of(doc.get("actor")), id_of(doc.get("object"))
    if not subnet_uri or not member or id_of(doc.get("target")) != f"{subnet_uri}/moderators":
        raise Invalid("an Add must name a member and the subnet's moderators")
    await membership.made_moderator(s, ctx.ids, peer=peer, subnet_uri=subnet_uri, member_uri=member)


PLANNERS: dict[EventKind, Planner] = {
    EventKind.MEMBERSHIP_JOINED: join_for_membership,
    EventKind.MEMBERSHIP_LEFT: leave_for_membership,
    EventKind.MEMBERSHIP_REMOVED: remove_for_membership,
    EventKind.JOIN_ANSWERED: answer_for_join,
    EventKind.MODERATOR_GRANTED: add_for_moderator,
}
HANDLERS: dict[str, Handler] = {
    "Join": on_join,
    "Leave": on_leave,
    "Add": on_add,
}
