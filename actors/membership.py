"""Leaving, removal by a moderator, and approval of joins (FEP-1b12: the Group decides).

A join from a partner's clinician-added person is automatic unless the subnet asks for
approval; then it waits (`pending`) until a moderator of the subnet's home answers.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import NotFound, NotPermitted
from actors.ids import LocalIds
from actors.policy import STAFF
from actors.subnets import local_subnet
from storage import audit, queues
from storage import peers as peer_store
from storage import subnets as store
from storage.models import Membership, Peer, Person


def _host(uri: str) -> str:
    return urlsplit(uri).netloc


async def leave(
    s: AsyncSession, ids: LocalIds, *, person: Person, subnet_uri: str, now: datetime
) -> None:
    """A person leaves a subnet; a remote subnet's home hears by Leave."""
    member = ids.person(person.id)
    if not await store.remove_membership(s, subnet_uri, member):
        raise NotFound("You are not a member of that subnet.")
    if ids.subnet_slug(subnet_uri) is None:
        await queues.add_event(
            s, "membership.left", {"subnet_uri": subnet_uri, "member_uri": member}, now
        )


async def _require_moderator(
    s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str
) -> None:
    if person.role not in STAFF or ids.subnet_slug(subnet_uri) is None:
        raise NotPermitted("Only staff of the subnet's home trust can moderate its members.")
    if (
        person.role != "admin"
        and await store.membership(s, subnet_uri, ids.person(person.id)) is None
    ):
        raise NotPermitted("Only a moderator of this subnet can do that.")


async def remove_member(
    s: AsyncSession,
    ids: LocalIds,
    *,
    moderator: Person,
    subnet_uri: str,
    member_uri: str,
    now: datetime,
) -> None:
    """A moderator removes someone from a subnet hosted here; their node hears by Remove."""
    await _require_moderator(s, ids, moderator, subnet_uri)
    if not await store.remove_membership(s, subnet_uri, member_uri):
        raise NotFound("That person is not in this subnet.")
    if not ids.is_local(member_uri):
        await queues.add_event(
            s, "membership.removed", {"subnet_uri": subnet_uri, "member_uri": member_uri}, now
        )
    await audit.record(
        s, at=now, who=ids.person(moderator.id), action="member.removed", target=member_uri
    )


async def answer_join(
    s: AsyncSession,
    ids: LocalIds,
    *,
    moderator: Person,
    subnet_uri: str,
    member_uri: str,
    approve: bool,
    now: datetime,
) -> None:
    """A moderator approves or refuses a pending join; a remote member's node hears."""
    await _require_moderator(s, ids, moderator, subnet_uri)
    row = await store.any_membership(s, subnet_uri, member_uri)
    if row is None or row.state != "pending":
        raise NotFound("There is no pending request from that person.")
    if approve:
        row.state = "active"
    else:
        await store.remove_membership(s, subnet_uri, member_uri)
    if not ids.is_local(member_uri):
        payload = {"subnet_uri": subnet_uri, "member_uri": member_uri, "accepted": approve}
        await queues.add_event(s, "join.answered", payload, now)
    await audit.record(
        s,
        at=now,
        who=ids.person(moderator.id),
        action="join.approved" if approve else "join.refused",
        target=member_uri,
    )


async def remote_join(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, subnet_uri: str, member_uri: str, now: datetime
) -> None:
    """A person on a partner node joins a subnet hosted here: automatic, or pending approval."""
    if _host(member_uri) != peer.host:
        raise NotPermitted("A Join must come from its member's node.")
    slug = ids.subnet_slug(subnet_uri)
    subnet = await store.subnet_by_slug(s, slug) if slug else None
    if subnet is None or not await store.is_partner(s, subnet.id, peer.id):
        raise NotFound("No such subnet is shared with that node.")
    await store.add_membership(
        s,
        subnet_uri=subnet_uri,
        member_uri=member_uri,
        role="member",
        now=now,
        state="pending" if subnet.join_approval else "active",
    )


async def remote_leave(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, subnet_uri: str, member_uri: str
) -> None:
    if _host(member_uri) != peer.host or ids.subnet_slug(subnet_uri) is None:
        raise NotPermitted("A Leave must come from its member's node, to a subnet hosted here.")
    await store.remove_membership(s, subnet_uri, member_uri)


async def removed_by_home(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, subnet_uri: str, member_uri: str
) -> None:
    """A subnet's home removed (or refused) one of our people."""
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None or group.peer_id != peer.id or not ids.is_local(member_uri):
        raise NotPermitted("Only a subnet's home can remove its members.")
    await store.remove_membership(s, subnet_uri, member_uri)


async def members(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, subnet_uri: str
) -> list[Membership]:
    """Who is in a subnet hosted here, for its moderators."""
    await _require_moderator(s, ids, viewer, subnet_uri)
    return list(await store.members_of(s, subnet_uri))


async def add_member_here(
    s: AsyncSession, ids: LocalIds, *, clinician: Person, slug: str, person: Person, now: datetime
) -> bool:
    """Staff add a local person to a subnet hosted here."""
    subnet = await local_subnet(s, slug)
    await _require_moderator(s, ids, clinician, ids.subnet(subnet.slug))
    return await store.add_membership(
        s, subnet_uri=ids.subnet(slug), member_uri=ids.person(person.id), role="member", now=now
    )
