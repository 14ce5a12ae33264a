"""Subnets hosted here, their partner nodes, and memberships (local or remote, by URI)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Membership, Peer, Subnet, SubnetPartner


async def add_subnet(s: AsyncSession, *, slug: str, name: str, now: datetime) -> Subnet:
    subnet = Subnet(slug=slug, name=name, created_at=now)
    s.add(subnet)
    await s.flush()
    return subnet


async def subnet_by_slug(s: AsyncSession, slug: str) -> Subnet | None:
    return await s.scalar(select(Subnet).where(Subnet.slug == slug))


async def add_partner(s: AsyncSession, *, subnet_id: str, peer_id: str, now: datetime) -> bool:
    """Share a subnet with a peer; False when it already was."""
    if await s.get(SubnetPartner, (subnet_id, peer_id)) is not None:
        return False
    s.add(SubnetPartner(subnet_id=subnet_id, peer_id=peer_id, state="accepted", since=now))
    await s.flush()
    return True


async def partners_of(s: AsyncSession, subnet_id: str) -> Sequence[Peer]:
    return (
        await s.scalars(
            select(Peer)
            .join(SubnetPartner, SubnetPartner.peer_id == Peer.id)
            .where(SubnetPartner.subnet_id == subnet_id, SubnetPartner.state == "accepted")
            .order_by(Peer.name)
        )
    ).all()


async def is_partner(s: AsyncSession, subnet_id: str, peer_id: str) -> bool:
    row = await s.get(SubnetPartner, (subnet_id, peer_id))
    return row is not None and row.state == "accepted"


async def add_membership(
    s: AsyncSession, *, subnet_uri: str, member_uri: str, role: str, now: datetime
) -> bool:
    """Record a membership; False when it already existed."""
    existing = await s.scalar(
        select(Membership).where(
            Membership.subnet_uri == subnet_uri, Membership.member_uri == member_uri
        )
    )
    if existing is not None:
        return False
    s.add(Membership(subnet_uri=subnet_uri, member_uri=member_uri, role=role, created_at=now))
    await s.flush()
    return True


async def membership(s: AsyncSession, subnet_uri: str, member_uri: str) -> Membership | None:
    return await s.scalar(
        select(Membership).where(
            Membership.subnet_uri == subnet_uri,
            Membership.member_uri == member_uri,
            Membership.state == "active",
        )
    )


async def memberships_of(s: AsyncSession, member_uri: str) -> Sequence[Membership]:
    return (
        await s.scalars(
            select(Membership).where(
                Membership.member_uri == member_uri, Membership.state == "active"
            )
        )
    ).all()
