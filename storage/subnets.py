"""Subnets hosted here, their partner nodes, and memberships (local or remote, by URI)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, event, func, inspect, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from storage.engine import rows_affected
from storage.models import Membership, Peer, Subnet, SubnetPartner, table_of


async def add_subnet(s: AsyncSession, *, slug: str, name: str, now: datetime) -> Subnet:
    subnet = Subnet(slug=slug, name=name, created_at=now)
    s.add(subnet)
    await s.flush()
    return subnet


MEMOS = ("subnet_by_slug", "is_partner", "partners_of", "membership")


def _memo(s: AsyncSession, name: str) -> dict[Any, Any]:
    """Lookups remembered for one unit of work.

    The inbox worker handles a batch of activities in one transaction, and nearly all of them
    ask the same questions (which subnet, is this node a partner); asking the database once per
    batch instead of once per activity halves its cost. Only found rows are remembered, and
    every UPDATE or DELETE statement run in the session forgets everything (below).
    """
    memo: dict[Any, Any] = s.info.setdefault(name, {})
    return memo


def _forget(s: AsyncSession) -> None:
    for name in MEMOS:
        s.info.pop(name, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_write(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        for name in MEMOS:
            state.session.info.pop(name, None)


async def subnet_by_slug(s: AsyncSession, slug: str) -> Subnet | None:
    memo = _memo(s, "subnet_by_slug")
    found: Subnet | None = memo.get(slug)
    if found is None:
        found = await s.scalar(select(Subnet).where(Subnet.slug == slug))
        if found is not None:
            memo[slug] = found
    return found


_OPEN_TO = (
    select(table_of(Subnet).c.slug, SubnetPartner.peer_id)
    .join(table_of(SubnetPartner), SubnetPartner.subnet_id == Subnet.id)
    .where(
        Subnet.slug.in_(bindparam("slugs", expanding=True)),
        SubnetPartner.peer_id.in_(bindparam("peer_ids", expanding=True)),
        SubnetPartner.state.in_(("invited", "accepted")),
    )
)


async def open_to(
    s: AsyncSession, slugs: Collection[str], peer_ids: Collection[str]
) -> set[tuple[str, str]]:
    """Which (slug, peer id) pairs, of these subnets and peers, are a subnet offered to the
    peer or shared with it: one Core query, built once (the inbox's door asks it for every
    group of activities that name a subnet)."""
    if not slugs or not peer_ids:
        return set()
    rows = await s.execute(_OPEN_TO, {"slugs": sorted(slugs), "peer_ids": sorted(peer_ids)})
    return {(slug, peer_id) for slug, peer_id in rows.all()}


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
    _forget(s)
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
        _forget(s)


async def remove_partner(s: AsyncSession, subnet_id: str, peer_id: str) -> bool:
    result = await s.execute(
        delete(SubnetPartner).where(
            SubnetPartner.subnet_id == subnet_id, SubnetPartner.peer_id == peer_id
        )
    )
    return bool(rows_affected(result))


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


async def partners_by_slug(s: AsyncSession, slugs: Collection[str]) -> dict[str, list[Peer]]:
    """The accepted partner nodes of each of these subnets hosted here, by name, in one query
    however many subnets (a slug with none, or no such subnet, is left out)."""
    found: dict[str, list[Peer]] = {}
    if slugs:
        rows = await s.execute(_PARTNERS_BY_SLUG, {"slugs": list(slugs)})
        for slug, peer in rows:
            found.setdefault(slug, []).append(peer)
    return found


_PARTNERS_BY_SLUG = (
    select(Subnet.slug, Peer)
    .join(SubnetPartner, SubnetPartner.peer_id == Peer.id)
    .join(Subnet, Subnet.id == SubnetPartner.subnet_id)
    .where(Subnet.slug.in_(bindparam("slugs", expanding=True)), SubnetPartner.state == "accepted")
    .order_by(Peer.name)
)


async def is_partner(s: AsyncSession, subnet_id: str, peer_id: str) -> bool:
    memo = _memo(s, "is_partner")
    if (subnet_id, peer_id) not in memo:
        row = await s.get(SubnetPartner, (subnet_id, peer_id))
        memo[subnet_id, peer_id] = row is not None and row.state == "accepted"
    return bool(memo[subnet_id, peer_id])


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
    return bool(rows_affected(result))


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
    """An active membership; found ones are remembered for the unit of work (the instance is
    the session's own, so a change made to it in this transaction is seen)."""
    memo = _memo(s, "membership")
    found: Membership | None = memo.get((subnet_uri, member_uri))
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
    if found is None or found.state != "active" or inspect(found).deleted:
        return None
    return found


async def active_memberships(
    s: AsyncSession, pairs: Collection[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of these (subnet URI, member URI) pairs are active memberships, as `membership`
    would answer each: the ones this unit of work has read, as it now holds them; the rest in
    one query (which flushes this unit of work's own changes first)."""
    memo = _memo(s, "membership")
    active: set[tuple[str, str]] = set()
    unread: list[tuple[str, str]] = []
    for pair in set(pairs):
        found: Membership | None = memo.get(pair)
        if found is None:
            unread.append(pair)
        elif found.state == "active" and not inspect(found).deleted:
            active.add(pair)
    if unread:
        rows = await s.scalars(
            select(Membership).where(
                tuple_(Membership.subnet_uri, Membership.member_uri).in_(unread),
                Membership.state == "active",
            )
        )
        for row in rows:
            memo[row.subnet_uri, row.member_uri] = row
            active.add((row.subnet_uri, row.member_uri))
    return active


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
