"""What members do to posts across nodes, both directions: Like and its Undo, and a granted
moderator's Delete of a post in a subnet hosted elsewhere.

A Like goes from the liker's node to every node taking part in the post's subnet, signed by
the liker's persona; an Undo embeds the Like it takes back. An Undo of a Join is a Leave.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import threads
from actors.errors import Invalid
from actors.events import EventKind
from actors.sharing import nodes_taking_part
from federation import documents
from federation.activities import membership, moderation
from federation.activities.context import (
    Activity,
    Handler,
    Handling,
    Payload,
    Planned,
    Planner,
    Planning,
)
from federation.activities.fields import audience_of, type_of
from federation.activities.recipients import home_of
from federation.remote import id_of
from storage.models import Peer, new_id

# --- out ------------------------------------------------------------------------------------


async def like_for_reaction(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    like = documents.render_like(
        ctx.ids,
        new_id(),
        actor_uri=p["actor_uri"],
        object_uri=p["object_uri"],
        subnet_uri=p["subnet_uri"],
    )
    recipients = await nodes_taking_part(s, ctx.ids, p["subnet_uri"])
    return [(peer, like, p["actor_uri"]) for peer in recipients]


async def undo_for_reaction(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    planned = await like_for_reaction(s, ctx, p, now)
    return [
        (peer, documents.render_undo(ctx.ids, new_id(), actor_uri=signer, undone=like), signer)
        for peer, like, signer in planned
    ]


async def delete_for_moderation(
    s: AsyncSession, ctx: Planning, p: Payload, now: datetime
) -> Planned:
    """A granted moderator here removes a post from a subnet hosted elsewhere: the home
    decides and announces."""
    home = await home_of(s, p["subnet_uri"])
    if home is None:
        return []
    activity = documents.render_delete(
        ctx.ids,
        new_id(),
        actor_uri=p["actor_uri"],
        object_uri=p["object_uri"],
        subnet_uri=p["subnet_uri"],
    )
    return [(home, activity, p["actor_uri"])]


# --- in -------------------------------------------------------------------------------------


async def on_like(s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime) -> None:
    await _like(s, ctx, peer, doc, now, undo=False)


async def _like(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime, *, undo: bool
) -> None:
    actor, object_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
    if not actor or not object_uri:
        raise Invalid("a Like must name its object")
    await threads.remote_like(
        s,
        ctx.ids,
        peer=peer,
        actor_uri=actor,
        object_uri=object_uri,
        now=now,
        undo=undo,
        claimed_subnet=audience_of(doc),
    )


async def on_undo(s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime) -> None:
    undone = doc.get("object")
    if not isinstance(undone, dict) or id_of(undone.get("actor")) != id_of(doc.get("actor")):
        raise Invalid("an Undo must embed an activity of its own actor")
    if type_of(undone) == "Like":
        await _like(s, ctx, peer, undone, now, undo=True)
    elif type_of(undone) == "Join":
        await membership.on_leave(s, ctx, peer, undone, now)
    elif type_of(undone) in moderation.UNDOABLE:
        await moderation.undo(s, ctx, peer, doc, now)
    else:
        raise Invalid("only a Like, a Join, a hiding or a suspension can be undone")


PLANNERS: dict[EventKind, Planner] = {
    EventKind.REACTION_ADDED: like_for_reaction,
    EventKind.REACTION_REMOVED: undo_for_reaction,
    EventKind.MODERATION_DELETE: delete_for_moderation,
}
HANDLERS: dict[str, Handler] = {
    "Like": on_like,
    "Undo": on_undo,
}
