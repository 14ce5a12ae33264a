"""Subnets hosted here, their partner nodes, and memberships (local or remote, by URI)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Membership, Peer, Subnet, SubnetPartner


async def add_subnet(s: AsyncSession, *, slug: str, name: str, now: datetime) -> Subnet:
    subnet = Subnet(slug=slug, name=name, created_at=now)
    s.add(subnet)
    await s.flush()
    return subnet


def _memo(s: AsyncSession, name: str) -> dict[Any, Any]:
    """Lookups remembered for one unit of work.

    The inbox worker handles a batch of activities in one transaction, and nearly all of them
    ask the same questions (which subnet, is this node a partner); asking the database once per
    batch instead of once per activity halves its cost. Writes below keep the memos true.
    """
    memo: dict[Any, Any] = s.info.setdefault(name, {})
    return memo


async def subnet_by_slug(s: AsyncSession, slug: str) -> Subnet | None:
    memo = _memo(s, "subnet_by_slug")
    found = memo.get(slug)
    if found is None:
        found = await s.scalar(select(Subnet).where(Subnet.slug == slug))
        if found is not None:
            memo[slug] = found
    return found


async def add_partner(s: AsyncSession, *, subnet_id: str, peer_id: str, now: datetime) -> bool:
    """Share a subnet with a peer; False when it already was."""
    if await s.get(SubnetPartner, (subnet_id, peer_id)) is not None:
        return False
    s.add(SubnetPartner(subnet_id=subnet_id, peer_id=peer_id, state="accepted", since=now))
    await s.flush()
    _memo(s, "is_partner").clear()
    _memo(s, "partners_of").clear()
    return True


async def partners_of(s: AsyncSession, subnet_id: str) -> Sequence[Peer]:
    memo = _memo(s, "partners_of")
    if subnet_id not in memo:
        memo[subnet_id] = (
            await s.scalars(
                select(Peer)
                .join(SubnetPartner, SubnetPartner.peer_id == Peer.id)
                .where(SubnetPartner.subnet_id == subnet_id, SubnetPartner.state == "accepted")
                .order_by(Peer.name)
            )
        ).all()
    return list(memo[subnet_id])


async def is_partner(s: AsyncSession, subnet_id: str, peer_id: str) -> bool:
    memo = _memo(s, "is_partner")
    if (subnet_id, peer_id) not in memo:
        row = await s.get(SubnetPartner, (subnet_id, peer_id))
        memo[subnet_id, peer_id] = row is not None and row.state == "accepted"
    return bool(memo[subnet_id, peer_id])


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
    """An active membership; found ones are remembered for the unit of work (the instance is
    the session's own, so a change made to it in this transaction is seen)."""
    memo = _memo(s, "membership")
    found = memo.get((subnet_uri, member_uri))
    if found is None:
        found = await s.scalar(
            select(Membership).where(
                Membership.subnet_uri == subnet_uri,
                Membership.member_uri == member_uri,
                Membership.state == "active",
            )
        )
        if found is not None:
            memo[subnet_uri, member_uri] = found
    return found if found is not None and found.state == "active" else None


async def memberships_of(s: AsyncSession, member_uri: str) -> Sequence[Membership]:
    return (
        await s.scalars(
            select(Membership).where(
                Membership.member_uri == member_uri, Membership.state == "active"
            )
        )
    ).all()


async def member_count(s: AsyncSession, subnet_uri: str) -> int:
    return int(
        await s.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.subnet_uri == subnet_uri, Membership.state == "active")
        )
        or 0
    )
