"""Dropping what this node holds of a subnet or a peer, in one statement per table.

Used when a subnet stops being shared with us, when our admin removes a peer, and when a subnet's
home tells us a partner has left it. Each function returns the object URIs whose references it
dropped, so the caller can drop the same keys from the RAM cache.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage import notices
from storage.models import (
    Membership,
    Peer,
    Persona,
    PostRef,
    Reaction,
    RemoteActor,
    ShareOffer,
    SubnetVisit,
)


async def _drop_refs(s: AsyncSession, *conditions: ColumnElement[bool]) -> list[str]:
    uris = list((await s.scalars(select(PostRef.object_uri).where(*conditions))).all())
    if uris:
        await s.execute(delete(PostRef).where(*conditions))
    return uris


async def forget_subnet(s: AsyncSession, subnet_uri: str) -> list[str]:
    """Everything of a subnet hosted elsewhere: references, reactions, memberships, our
    people's personas in it, its Group."""
    uris = await _drop_refs(s, PostRef.subnet_uri == subnet_uri)
    await s.execute(delete(Reaction).where(Reaction.subnet_uri == subnet_uri))
    await s.execute(delete(Membership).where(Membership.subnet_uri == subnet_uri))
    await s.execute(delete(ShareOffer).where(ShareOffer.subnet_uri == subnet_uri))
    await s.execute(delete(Persona).where(Persona.subnet_uri == subnet_uri))
    await s.execute(delete(RemoteActor).where(RemoteActor.uri == subnet_uri))
    await s.execute(delete(SubnetVisit).where(SubnetVisit.subnet_uri == subnet_uri))
    await notices.forget_subnet(s, subnet_uri)
    await _drop_unattached_people(s)
    return uris


async def forget_person(s: AsyncSession, member_uri: str) -> None:
    """A remote person erased at home: their memberships, Likes and cached document."""
    await s.execute(delete(Membership).where(Membership.member_uri == member_uri))
    await s.execute(delete(Reaction).where(Reaction.actor_uri == member_uri))
    await s.execute(delete(RemoteActor).where(RemoteActor.uri == member_uri))


async def _drop_unattached_people(s: AsyncSession) -> None:
    """Cached documents of remote people who are no longer members of anything we hold; they
    are fetched again (signed, checked) if ever needed."""
    await s.execute(
        delete(RemoteActor).where(
            RemoteActor.kind == "Person",
            RemoteActor.uri.not_in(select(Membership.member_uri)),
        )
    )


def _on_host(column: InstrumentedAttribute[str], base: str) -> ColumnElement[bool]:
    return column.startswith(base + "/")


async def forget_node_in_subnet(s: AsyncSession, subnet_uri: str, peer: Peer) -> list[str]:
    """A node's part of a subnet: references to its posts, its people's memberships and Likes."""
    uris = await _drop_refs(s, PostRef.subnet_uri == subnet_uri, PostRef.peer_id == peer.id)
    await s.execute(
        delete(Reaction).where(
            Reaction.subnet_uri == subnet_uri, _on_host(Reaction.actor_uri, peer.url)
        )
    )
    await s.execute(
        delete(Membership).where(
            Membership.subnet_uri == subnet_uri, _on_host(Membership.member_uri, peer.url)
        )
    )
    await notices.forget_node(s, peer.url, subnet_uri)
    await _drop_unattached_people(s)
    return uris


async def forget_peer(s: AsyncSession, peer: Peer) -> list[str]:
    """Everything of a peer: subnets it hosts, its people's memberships and references, the peer
    row itself (deliveries, inbox items, partnerships, cached actors follow by cascade)."""
    uris: list[str] = []
    hosted = (
        await s.scalars(
            select(RemoteActor.uri).where(
                RemoteActor.peer_id == peer.id, RemoteActor.kind == "Group"
            )
        )
    ).all()
    for subnet_uri in hosted:
        uris += await forget_subnet(s, subnet_uri)
    uris += await _drop_refs(
        s, or_(PostRef.peer_id == peer.id, _on_host(PostRef.subnet_uri, peer.url))
    )
    await s.execute(
        delete(Membership).where(
            or_(
                _on_host(Membership.member_uri, peer.url), _on_host(Membership.subnet_uri, peer.url)
            )
        )
    )
    await s.execute(delete(Reaction).where(_on_host(Reaction.actor_uri, peer.url)))
    await s.execute(delete(SubnetVisit).where(_on_host(SubnetVisit.subnet_uri, peer.url)))
    await notices.forget_node(s, peer.url)
    await s.execute(delete(Peer).where(Peer.id == peer.id))
    return uris
