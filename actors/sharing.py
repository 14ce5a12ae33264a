"""Sharing a subnet between trusts: an agreement between nodes, and its end.

The home's admin offers a subnet to a peer (`invited`); the peer's admin accepts or declines.
Only an accepted partner sees the subnet's content. When the agreement ends (unshare, or either
admin removing the other as a peer) the former partner's references, memberships and Likes of
that subnet are dropped at once on every node that hears of it; the functions here return the
object URIs dropped so the caller can drop them from its RAM cache too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, notices
from actors.errors import Invalid, NotFound
from actors.events import EventKind
from actors.ids import LocalIds
from actors.subnets import SubnetSummary, local_subnet, summary
from storage import audit, forgetting
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


async def share_subnet(
    s: AsyncSession, *, slug: str, peer: Peer, now: datetime, who: str = "cli"
) -> bool:
    """Offer a local subnet to an agreed peer; it is shared once that peer's admin accepts.
    `who` is the admin's URI ("cli" at the node's command line), for the audit log."""
    subnet = await local_subnet(s, slug)
    if peer.state == "removed":
        raise NotFound("That node is not an agreed peer.")
    invited = await subnet_store.invite_partner(s, subnet_id=subnet.id, peer_id=peer.id, now=now)
    if invited:
        await events.record(s, EventKind.SUBNET_INVITED, {"slug": slug, "peer_id": peer.id}, now)
        await audit.record(s, at=now, who=who, action="share.offered", target=slug, via=peer.host)
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
    await events.record(
        s,
        EventKind.SHARE_ANSWERED,
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
    """A peer answered our invitation: an acceptance makes it a partner, and partners hear.
    A partner that rejects the invitation it had accepted stops taking part: as an unshare."""
    slug = ids.subnet_slug(subnet_uri)
    subnet = await subnet_store.subnet_by_slug(s, slug) if slug else None
    was = await subnet_store.partner_state(s, subnet.id, peer.id) if subnet else None
    if subnet is not None and was == "accepted" and not accepted:
        await _partner_left(s, ids, subnet_uri=subnet_uri, slug=subnet.slug, peer=peer, now=now)
        return
    if subnet is None or was != "invited":
        raise NotFound("That node was not invited to share this subnet.")
    state = "accepted" if accepted else "declined"
    await subnet_store.set_partner_state(
        s, subnet_id=subnet.id, peer_id=peer.id, state=state, now=now
    )
    if accepted:
        await events.record(s, EventKind.SUBNET_PARTNERS_CHANGED, {"slug": subnet.slug}, now)
        await _tell_audience(s, ids, subnet_uri, peer.name, shared=True, now=now)


async def _partner_left(
    s: AsyncSession, ids: LocalIds, *, subnet_uri: str, slug: str, peer: Peer, now: datetime
) -> None:
    """A partner stopped taking part (`stop_taking_part` there): as an unshare, except that it
    needs no telling. Its people's references here go; the other partners hear."""
    subnet = await local_subnet(s, slug)
    await subnet_store.remove_partner(s, subnet.id, peer.id)
    await _tell_audience(s, ids, subnet_uri, peer.name, shared=False, now=now)
    await forgetting.forget_node_in_subnet(s, subnet_uri, peer)
    await events.record(s, EventKind.SUBNET_PARTNERS_CHANGED, {"slug": slug}, now)
    await audit.record(
        s, at=now, who=peer.instance_actor, action="share.left", target=subnet_uri, via=peer.host
    )


async def _tell_audience(
    s: AsyncSession,
    ids: LocalIds,
    subnet_uri: str,
    trust_name: str,
    *,
    shared: bool,
    now: datetime,
) -> None:
    """Our people in a subnet are told that it is now (or no longer) shared with a trust."""
    await notices.tell_members(
        s,
        ids,
        subnet_uri=subnet_uri,
        kind=notices.NoticeKind.SUBNET_SHARED if shared else notices.NoticeKind.SUBNET_UNSHARED,
        actor_name=trust_name,
        now=now,
    )


async def _tell_withdrawn(
    s: AsyncSession, people: list[str], subnet_name: str, now: datetime
) -> None:
    """Our people lost a subnet that this trust no longer takes part in; the notice keeps
    only its name (everything else of the subnet is forgotten here)."""
    for person_id in people:
        await notices.tell(
            s,
            person_id=person_id,
            kind=notices.NoticeKind.SUBNET_UNSHARED,
            subnet_name=subnet_name,
            now=now,
        )


async def unshare_subnet(
    s: AsyncSession, ids: LocalIds, *, slug: str, peer: Peer, now: datetime, who: str = "cli"
) -> list[str]:
    """End sharing with one peer: it is told, the other partners hear, its part is dropped."""
    subnet = await local_subnet(s, slug)
    was = await subnet_store.partner_state(s, subnet.id, peer.id)
    if not await subnet_store.remove_partner(s, subnet.id, peer.id):
        raise NotFound("That subnet is not shared with that node.")
    if was == "accepted":
        await _tell_audience(s, ids, ids.subnet(slug), peer.name, shared=False, now=now)
    dropped = await forgetting.forget_node_in_subnet(s, ids.subnet(slug), peer)
    await events.record(s, EventKind.SUBNET_UNSHARED, {"slug": slug, "peer_id": peer.id}, now)
    await events.record(s, EventKind.SUBNET_PARTNERS_CHANGED, {"slug": slug}, now)
    await audit.record(
        s, at=now, who=who, action="share.ended", target=ids.subnet(slug), via=peer.host
    )
    return dropped


async def remove_peer(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, now: datetime, who: str = "cli"
) -> list[str]:
    """Stop federating with a peer: drop everything of it; our remaining partners hear."""
    for subnet in await subnet_store.subnets_shared_with(s, peer.id):
        await events.record(s, EventKind.SUBNET_PARTNERS_CHANGED, {"slug": subnet.slug}, now)
        if await subnet_store.partner_state(s, subnet.id, peer.id) == "accepted":
            await _tell_audience(s, ids, ids.subnet(subnet.slug), peer.name, shared=False, now=now)
    withdrawn = [
        (group.name, await notices.local_members(s, ids, group.uri))
        for group in await peer_store.groups_hosted_by(s, peer.id)
    ]
    await audit.record(s, at=now, who=who, action="peer.removed", target=peer.url)
    dropped = await forgetting.forget_peer(s, peer)
    for name, people in withdrawn:
        await _tell_withdrawn(s, people, name, now)
    return dropped


async def stop_taking_part(
    s: AsyncSession, ids: LocalIds, *, subnet_uri: str, who: str, now: datetime
) -> list[str]:
    """This trust stops taking part in a partner's subnet it had accepted: the home hears by a
    Reject of its invitation (and ends the partnership as an unshare), our people in it are
    told, and everything held of it here is dropped at once (the URIs are returned)."""
    offer = await store.offer(s, subnet_uri)
    if offer is None or offer.state != "accepted":
        raise NotFound("This trust does not take part in that subnet.")
    await events.record(
        s,
        EventKind.SHARE_ANSWERED,
        {
            "subnet_uri": subnet_uri,
            "peer_id": offer.peer_id,
            "invite_id": offer.invite_id,
            "accepted": False,
        },
        now,
    )
    people = await notices.local_members(s, ids, subnet_uri)
    await audit.record(s, at=now, who=who, action="share.left", target=subnet_uri)
    dropped = await forgetting.forget_subnet(s, subnet_uri)
    await _tell_withdrawn(s, people, offer.name, now)
    return dropped


async def subnet_withdrawn(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, subnet_uri: str, now: datetime
) -> list[str]:
    """The subnet's home ended sharing with this node: drop all we hold of it."""
    group = await peer_store.remote_actor(s, subnet_uri)
    offer = await store.offer(s, subnet_uri)
    if group is not None and group.kind != "Group":
        raise NotFound("That is not a subnet.")
    home = group.peer_id if group is not None else (offer.peer_id if offer else None)
    if home != peer.id:
        raise NotFound("Only a subnet's home node can end sharing it.")
    people = await notices.local_members(s, ids, subnet_uri)
    dropped = await forgetting.forget_subnet(s, subnet_uri)
    await _tell_withdrawn(s, people, group.name if group else "A subnet", now)
    return dropped


async def group_changed(
    s: AsyncSession,
    ids: LocalIds,
    *,
    group: RemoteActor,
    previous_partners: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[str]:
    """A subnet's home sent its new partner list: drop what came from nodes no longer on it
    (or everything, when this node is no longer a partner). Given the list it had before,
    our people in the subnet are told which trusts it is now, or no longer, shared with."""
    if group.kind != "Group":
        return []
    if previous_partners is not None and now is not None:
        await _tell_partner_changes(s, ids, group, previous_partners, now)
    if ids.instance not in group.partners:
        offer = await store.offer(s, group.uri)
        if offer is not None and offer.state != "accepted":
            return []  # invited, not yet a partner: nothing is held
        name, people = group.name, await notices.local_members(s, ids, group.uri)
        forgotten = await forgetting.forget_subnet(s, group.uri)
        if now is not None:
            await _tell_withdrawn(s, people, name, now)
        return forgotten
    still = {peer.id for peer in await peer_store.peers_by_instance_actors(s, group.partners)}
    still.add(group.peer_id)
    dropped: list[str] = []
    for peer in await peer_store.list_peers(s):
        if peer.id not in still:
            dropped += await forgetting.forget_node_in_subnet(s, group.uri, peer)
    return dropped


async def _tell_partner_changes(
    s: AsyncSession, ids: LocalIds, group: RemoteActor, before: Sequence[str], now: datetime
) -> None:
    """Trusts that joined or left a subnet hosted elsewhere, which we stay a partner of (when
    we are dropped, `subnet_withdrawn`'s notice is the one our people get)."""
    after = set(group.partners)
    if ids.instance not in after:
        return
    changes = [(uri, True) for uri in after - set(before)] + [
        (uri, False) for uri in set(before) - after
    ]
    for uri, shared in sorted(changes):
        if uri == ids.instance:
            continue
        peer = await peer_store.peer_by_instance_actor(s, uri)
        name = peer.name if peer is not None else "another trust"
        await _tell_audience(s, ids, group.uri, name, shared=shared, now=now)


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


async def taking_part(s: AsyncSession, ids: LocalIds, node_name: str) -> list[SubnetSummary]:
    """The subnets hosted by partner trusts that this trust accepted and still takes part in
    (their home's Group lists this node), for the admin who manages our people in them."""
    found = []
    for offer, _ in await store.offers(s, "accepted"):
        group = await peer_store.remote_actor(s, offer.subnet_uri)
        if group is not None and group.kind == "Group" and ids.instance in group.partners:
            found.append(await summary(s, ids, offer.subnet_uri, node_name))
    return found


async def taken_part_in(
    s: AsyncSession, ids: LocalIds, subnet_uri: str, node_name: str
) -> SubnetSummary:
    """One subnet of `taking_part`; NotFound for any other."""
    for subnet in await taking_part(s, ids, node_name):
        if subnet.uri == subnet_uri:
            return subnet
    raise NotFound("This trust does not take part in that subnet.")


@dataclass(frozen=True)
class OfferView:
    """A pending share invitation with the policy the subnet's home published for it, so an
    admin sees what her people would join before accepting (None: the home sent none)."""

    offer: ShareOffer
    peer: Peer
    group: RemoteActor | None


async def offers_to_answer(s: AsyncSession) -> list[OfferView]:
    return [
        OfferView(offer, peer, await peer_store.remote_actor(s, offer.subnet_uri))
        for offer, peer in await store.offers(s, "pending")
    ]


@dataclass(frozen=True)
class PeerView:
    name: str
    url: str
    state: str
    queued: int
    fingerprint: str
    read_failures: int = 0
    last_read_error: str | None = None
    last_success_at: datetime | None = None  # of a delivery to it
    last_failure_at: datetime | None = None


async def peers(s: AsyncSession) -> list[PeerView]:
    """The agreed peers, their delivery backlog and failed reads, for the admin's overview."""
    queued = await peer_store.queue_lengths(s)
    return [
        PeerView(
            peer.name,
            peer.url,
            peer.state,
            queued.get(peer.id, 0),
            peer.key_fingerprint,
            peer.fetch_failures,
            peer.last_fetch_error,
            peer.last_success_at,
            peer.last_failure_at,
        )
        for peer in await peer_store.list_peers(s)
    ]


async def peer_by_url(s: AsyncSession, url: str) -> Peer:
    peer = await peer_store.peer_by_url(s, url)
    if peer is None:
        raise NotFound("That node is not an agreed peer.")
    return peer
