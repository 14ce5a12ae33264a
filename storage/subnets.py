"""Subnets hosted here, their partner nodes, and memberships (local or remote, by URI)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Membership, Peer, Subnet, SubnetPartner


async def add_subnet(s: AsyncSession, *, slug: str, name: str, now: datetime) -> Subnet:
    subnet = Subnet(slug=slug, name=name, created_at=now)
    s.add(subnet)
    await s.flush()
    return subnet


async def subnet_by_slug(s: AsyncSession, slug: str) -> Subnet | None:
    return await s.scalar(select(Subnet).where(Subnet.slug == slug))


async def invite_partner(s: AsyncSession, *, subnet_id: str, peer_id: str, now: datetime) -> bool:
    """Offer a subnet to a peer (again, if it declined); False when invited or accepted already."""
    row = await s.get(SubnetPartner, (subnet_id, peer_id))
    if row is not None and row.state in ("invited", "accepted"):
        return False
    if row is None:
        s.add(SubnetPartner(subnet_id=subnet_id, peer_id=peer_id, state="invited", since=now))
    else:
        row.state, row.since = "invited", now
    await s.flush()
    return True


async def partner_state(s: AsyncSession, subnet_id: str, peer_id: str) -> str | None:
    row = await s.get(SubnetPartner, (subnet_id, peer_id))
    return row.state if row else None


async def set_partner_state(
    s: AsyncSession, *, subnet_id: str, peer_id: str, state: str, now: datetime
) -> None:
    row = await s.get(SubnetPartner, (subnet_id, peer_id))
    if row is not None:
        row.state, row.since = state, now


async def remove_partner(s: AsyncSession, subnet_id: str, peer_id: str) -> bool:
    result = await s.execute(
        delete(SubnetPartner).where(
            SubnetPartner.subnet_id == subnet_id, SubnetPartner.peer_id == peer_id
        )
    )
    return bool(result.rowcount)


async def partner_rows(s: AsyncSession) -> Sequence[tuple[Subnet, Peer, SubnetPartner]]:
    """Every offer and agreement of every local subnet, for the admin's overview."""
    rows = await s.execute(
        select(Subnet, Peer, SubnetPartner)
        .join(SubnetPartner, SubnetPartner.subnet_id == Subnet.id)
        .join(Peer, Peer.id == SubnetPartner.peer_id)
        .order_by(Subnet.name, Peer.name)
    )
    return [(subnet, peer, row) for subnet, peer, row in rows.all()]


async def subnets_shared_with(s: AsyncSession, peer_id: str) -> Sequence[Subnet]:
    return (
        await s.scalars(
            select(Subnet)
            .join(SubnetPartner, SubnetPartner.subnet_id == Subnet.id)
            .where(SubnetPartner.peer_id == peer_id)
        )
    ).all()


async def list_subnets(s: AsyncSession) -> Sequence[Subnet]:
    return (await s.scalars(select(Subnet).order_by(Subnet.name))).all()


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
    s: AsyncSession,
    *,
    subnet_uri: str,
    member_uri: str,
    role: str,
    now: datetime,
    state: str = "active",
) -> bool:
    """Record a membership (`pending` while it awaits approval); False when it already existed."""
    existing = await s.scalar(
        select(Membership).where(
            Membership.subnet_uri == subnet_uri, Membership.member_uri == member_uri
        )
    )
    if existing is not None:
        return False
    s.add(
        Membership(
            subnet_uri=subnet_uri, member_uri=member_uri, role=role, state=state, created_at=now
        )
    )
    await s.flush()
    return True


async def any_membership(s: AsyncSession, subnet_uri: str, member_uri: str) -> Membership | None:
    """The membership in whatever state (active or pending)."""
    return await s.scalar(
        select(Membership).where(
            Membership.subnet_uri == subnet_uri, Membership.member_uri == member_uri
        )
    )


async def remove_membership(s: AsyncSession, subnet_uri: str, member_uri: str) -> bool:
    result = await s.execute(
        delete(Membership).where(
            Membership.subnet_uri == subnet_uri, Membership.member_uri == member_uri
        )
    )
    return bool(result.rowcount)


async def members_of(s: AsyncSession, subnet_uri: str) -> Sequence[Membership]:
    """Everyone in a subnet, active and pending, oldest first."""
    return (
        await s.scalars(
            select(Membership)
            .where(Membership.subnet_uri == subnet_uri)
            .order_by(Membership.created_at)
        )
    ).all()


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
