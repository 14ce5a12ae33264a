"""Share offers this node has received from other nodes' subnets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Peer, ShareOffer


async def record_offer(
    s: AsyncSession, *, subnet_uri: str, peer_id: str, name: str, invite_id: str, now: datetime
) -> ShareOffer:
    """Note an Invite; a repeated one (after a decline) becomes pending again."""
    offer = await s.get(ShareOffer, subnet_uri)
    if offer is None:
        offer = ShareOffer(subnet_uri=subnet_uri, peer_id=peer_id, received_at=now)
        s.add(offer)
    offer.name, offer.invite_id, offer.state, offer.answered_at = name, invite_id, "pending", None
    await s.flush()
    return offer


async def offer(s: AsyncSession, subnet_uri: str) -> ShareOffer | None:
    return await s.get(ShareOffer, subnet_uri)


async def offers(s: AsyncSession, state: str | None = None) -> Sequence[tuple[ShareOffer, Peer]]:
    query = select(ShareOffer, Peer).join(Peer, Peer.id == ShareOffer.peer_id)
    if state is not None:
        query = query.where(ShareOffer.state == state)
    rows = await s.execute(query.order_by(ShareOffer.received_at))
    return [(row, peer) for row, peer in rows.all()]
