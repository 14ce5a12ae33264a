"""Sharing a subnet between trusts: an agreement between nodes, and its end.

The home's admin offers a subnet to a peer (`invited`); the peer's admin accepts or declines.
Only an accepted partner sees the subnet's content. When the agreement ends (unshare, or either
admin removing the other as a peer) the former partner's references, memberships and Likes of
that subnet are dropped at once on every node that hears of it; the functions here return the
object URIs dropped so the caller can drop them from its RAM cache too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import Invalid, NotFound
from actors.ids import LocalIds
from actors.subnets import local_subnet
from storage import audit, forgetting, queues
from storage import peers as peer_store
from storage import sharing as store
from storage import subnets as subnet_store
from storage.models import Peer, RemoteActor, ShareOffer


@dataclass(frozen=True)
class Agreement:
    """One local subnet and one peer, as the admin overview lists them."""

    subnet_uri: str
    subnet_name: str
    peer_name: str
    peer_url: str
    state: str


async def share_subnet(s: AsyncSession, *, slug: str, peer: Peer, now: datetime) -> bool:
    """Offer a local subnet to an agreed peer; it is shared once that peer's admin accepts."""
    subnet = await local_subnet(s, slug)
    if peer.state == "removed":
        raise NotFound("That node is not an agreed peer.")
    invited = await subnet_store.invite_partner(s, subnet_id=subnet.id, peer_id=peer.id, now=now)
    if invited:
        await queues.add_event(s, "subnet.invited", {"slug": slug, "peer_id": peer.id}, now)
    return invited


async def receive_invite(
    s: AsyncSession, *, peer: Peer, group: RemoteActor, invite_id: str, now: datetime
) -> ShareOffer:
    """A peer's subnet invited this node: pending until our admin answers."""
    if group.kind != "Group" or group.peer_id != peer.id:
        raise Invalid("only a subnet's home node can offer to share it")
    existing = await store.offer(s, group.uri)
    if existing is not None and existing.state == "accepted":
        return existing
    return await store.record_offer(
        s, subnet_uri=group.uri, peer_id=peer.id, name=group.name, invite_id=invite_id, now=now
    )


async def answer_offer(
    s: AsyncSession, *, subnet_uri: str, accept: bool, who: str, now: datetime
) -> ShareOffer:
    """Our admin accepts or declines a pending offer; the subnet's home hears by Accept/Reject."""
    offer = await store.offer(s, subnet_uri)
    if offer is None or offer.state != "pending":
        raise NotFound("There is no pending share invitation for that subnet.")
    offer.state, offer.answered_at = ("accepted" if accept else "declined"), now
    await queues.add_event(
        s,
        "share.answered",
        {
            "subnet_uri": subnet_uri,
            "peer_id": offer.peer_id,
            "invite_id": offer.invite_id,
            "accepted": accept,
        },
        now,
    )
    await audit.record(s, at=now, who=who, action=f"share.{offer.state}", target=subnet_uri)
    if not accept:
        await forgetting.forget_subnet(s, subnet_uri)
    return offer


async def partner_answered(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, subnet_uri: str, accepted: bool, now: datetime
) -> None:
    """A peer answered our invitation: an acceptance makes it a partner, and partners hear."""
    slug = ids.subnet_slug(subnet_uri)
    subnet = await subnet_store.subnet_by_slug(s, slug) if slug else None
    if subnet is None or await subnet_store.partner_state(s, subnet.id, peer.id) != "invited":
        raise NotFound("That node was not invited to share this subnet.")
    state = "accepted" if accepted else "declined"
    await subnet_store.set_partner_state(
        s, subnet_id=subnet.id, peer_id=peer.id, state=state, now=now
    )
    if accepted:
        await queues.add_event(s, "subnet.partners_changed", {"slug": subnet.slug}, now)


async def unshare_subnet(
    s: AsyncSession, ids: LocalIds, *, slug: str, peer: Peer, now: datetime
) -> list[str]:
    """End sharing with one peer: it is told, the other partners hear, its part is dropped."""
    subnet = await local_subnet(s, slug)
    if not await subnet_store.remove_partner(s, subnet.id, peer.id):
        raise NotFound("That subnet is not shared with that node.")
    dropped = await forgetting.forget_node_in_subnet(s, ids.subnet(slug), peer)
    await queues.add_event(s, "subnet.unshared", {"slug": slug, "peer_id": peer.id}, now)
    await queues.add_event(s, "subnet.partners_changed", {"slug": slug}, now)
    return dropped


async def remove_peer(s: AsyncSession, ids: LocalIds, *, peer: Peer, now: datetime) -> list[str]:
    """Stop federating with a peer: drop everything of it; our remaining partners hear."""
    for subnet in await subnet_store.subnets_shared_with(s, peer.id):
        await queues.add_event(s, "subnet.partners_changed", {"slug": subnet.slug}, now)
    return await forgetting.forget_peer(s, peer)


async def subnet_withdrawn(
    s: AsyncSession, *, peer: Peer, subnet_uri: str, now: datetime
) -> list[str]:
    """The subnet's home ended sharing with this node: drop all we hold of it."""
    group = await peer_store.remote_actor(s, subnet_uri)
    offer = await store.offer(s, subnet_uri)
    if group is not None and group.kind != "Group":
        raise NotFound("That is not a subnet.")
    home = group.peer_id if group is not None else (offer.peer_id if offer else None)
    if home != peer.id:
        raise NotFound("Only a subnet's home node can end sharing it.")
    return await forgetting.forget_subnet(s, subnet_uri)


async def group_changed(s: AsyncSession, ids: LocalIds, *, group: RemoteActor) -> list[str]:
    """A subnet's home sent its new partner list: drop what came from nodes no longer on it
    (or everything, when this node is no longer a partner)."""
    if group.kind != "Group":
        return []
    if ids.instance not in group.partners:
        offer = await store.offer(s, group.uri)
        if offer is not None and offer.state != "accepted":
            return []  # invited, not yet a partner: nothing is held
        return await forgetting.forget_subnet(s, group.uri)
    still = {peer.id for peer in await peer_store.peers_by_instance_actors(s, group.partners)}
    still.add(group.peer_id)
    dropped: list[str] = []
    for peer in await peer_store.list_peers(s):
        if peer.id not in still:
            dropped += await forgetting.forget_node_in_subnet(s, group.uri, peer)
    return dropped


async def nodes_taking_part(s: AsyncSession, ids: LocalIds, subnet_uri: str) -> list[Peer]:
    """The other nodes that may hold references in a subnet: its home and its partners."""
    slug = ids.subnet_slug(subnet_uri)
    if slug is not None:
        subnet = await subnet_store.subnet_by_slug(s, slug)
        return list(await subnet_store.partners_of(s, subnet.id)) if subnet else []
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None:
        return []
    home = await peer_store.peer_by_id(s, group.peer_id)
    others = await peer_store.peers_by_instance_actors(
        s, [uri for uri in group.partners if uri != ids.instance]
    )
    return ([home] if home else []) + [peer for peer in others if peer.id != group.peer_id]


async def agreements(s: AsyncSession, ids: LocalIds) -> list[Agreement]:
    return [
        Agreement(ids.subnet(subnet.slug), subnet.name, peer.name, peer.url, row.state)
        for subnet, peer, row in await subnet_store.partner_rows(s)
    ]


async def pending_offers(s: AsyncSession) -> list[tuple[ShareOffer, Peer]]:
    return list(await store.offers(s, "pending"))


@dataclass(frozen=True)
class PeerView:
    name: str
    url: str
    state: str
    queued: int
    fingerprint: str


async def peers(s: AsyncSession) -> list[PeerView]:
    """The agreed peers and their delivery backlog, for the admin's overview."""
    queued = await peer_store.queue_lengths(s)
    return [
        PeerView(peer.name, peer.url, peer.state, queued.get(peer.id, 0), peer.key_fingerprint)
        for peer in await peer_store.list_peers(s)
    ]


async def peer_by_url(s: AsyncSession, url: str) -> Peer:
    peer = await peer_store.peer_by_url(s, url)
    if peer is None:
        raise NotFound("That node is not an agreed peer.")
    return peer
