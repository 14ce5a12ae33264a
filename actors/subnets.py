"""Subnets: creating them, sharing them with partner nodes, and who belongs to which.

A subnet is named everywhere by its URI. Local subnets live in `subnet`; a subnet hosted on a
partner node is known here through its cached Group document and the memberships of our people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas
from actors.errors import Conflict, Invalid, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.policy import Action, may
from storage import peers as peer_store
from storage import queues
from storage import subnets as store
from storage.models import Peer, Person, RemoteActor, Subnet

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True)
class SubnetSummary:
    """What a member needs to see about a subnet, wherever it is hosted."""

    uri: str
    name: str
    host_name: str
    local: bool
    shared_with: tuple[str, ...]
    posting_policy: str = "all"
    premoderation: bool = False


async def create_subnet(s: AsyncSession, *, slug: str, name: str, now: datetime) -> Subnet:
    if not SLUG.match(slug):
        raise Invalid("A subnet slug must be 2–63 characters: lower-case letters, digits or '-'.")
    name = " ".join(name.split())
    if not 2 <= len(name) <= 200:
        raise Invalid("A subnet name must be 2 to 200 characters long.")
    if await store.subnet_by_slug(s, slug) is not None:
        raise Conflict(f"A subnet called {slug!r} already exists.")
    return await store.add_subnet(s, slug=slug, name=name, now=now)


async def local_subnet(s: AsyncSession, slug: str) -> Subnet:
    subnet = await store.subnet_by_slug(s, slug)
    if subnet is None:
        raise NotFound(f"There is no subnet called {slug!r} on this node.")
    return subnet


async def add_local_member(
    s: AsyncSession,
    ids: LocalIds,
    *,
    slug: str,
    person: Person,
    now: datetime,
    role: str = "member",
) -> bool:
    subnet = await local_subnet(s, slug)
    subnet_uri = ids.subnet(subnet.slug)
    return await store.add_membership(
        s,
        subnet_uri=subnet_uri,
        member_uri=await personas.member_uri(s, ids, person.id, subnet_uri),
        role=role,
        now=now,
    )


async def join_remote_subnet(
    s: AsyncSession, ids: LocalIds, *, group: RemoteActor, person: Person, now: datetime
) -> bool:
    """Make a local person a member of a subnet hosted elsewhere; its home hears by `Join`."""
    if group.kind != "Group":
        raise Invalid("That address is not a subnet.")
    if ids.instance not in group.partners:
        raise NotPermitted("That subnet is not shared with this trust (yet).")
    member_uri = await personas.member_uri(s, ids, person.id, group.uri)
    added = await store.add_membership(
        s, subnet_uri=group.uri, member_uri=member_uri, role="member", now=now
    )
    if added:
        await queues.add_event(
            s, "membership.joined", {"subnet_uri": group.uri, "member_uri": member_uri}, now
        )
    return added


async def node_may_see(s: AsyncSession, ids: LocalIds, subnet_uri: str, peer: Peer) -> bool:
    """Whether `peer` takes part in the subnet: its home, or a partner of it."""
    slug = ids.subnet_slug(subnet_uri)
    if slug is not None:
        subnet = await store.subnet_by_slug(s, slug)
        return subnet is not None and await store.is_partner(s, subnet.id, peer.id)
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None or group.kind != "Group":
        return False
    return group.peer_id == peer.id or peer.instance_actor in group.partners


async def node_may_see_group(s: AsyncSession, subnet: Subnet, peer: Peer) -> bool:
    """A subnet's Group document is shown to partners and to nodes invited to become one."""
    return await store.partner_state(s, subnet.id, peer.id) in ("invited", "accepted")


async def subnets_of(
    s: AsyncSession, ids: LocalIds, person: Person, node_name: str
) -> list[SubnetSummary]:
    """Every subnet the person belongs to, local and remote, by name."""
    summaries = []
    for uri in await personas.member_uris_of(s, ids, person.id):
        for membership in await store.memberships_of(s, uri):
            summaries.append(await summary(s, ids, membership.subnet_uri, node_name))
    return sorted(summaries, key=lambda item: item.name.lower())


async def summary(s: AsyncSession, ids: LocalIds, subnet_uri: str, node_name: str) -> SubnetSummary:
    slug = ids.subnet_slug(subnet_uri)
    if slug is not None:
        subnet = await local_subnet(s, slug)
        shared = tuple(peer.name for peer in await store.partners_of(s, subnet.id))
        return SubnetSummary(
            subnet_uri,
            subnet.name,
            node_name,
            True,
            shared,
            subnet.posting_policy,
            subnet.premoderation,
        )
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None:
        raise NotFound("That subnet is not known here.")
    home = await peer_store.peer_by_id(s, group.peer_id)
    known = {peer.instance_actor: peer.name for peer in await peer_store.list_peers(s)}
    known[ids.instance] = node_name
    shared = tuple(known.get(partner, "another trust") for partner in group.partners)
    return SubnetSummary(
        subnet_uri,
        group.name,
        home.name if home else "",
        False,
        shared,
        group.posting_policy,
        group.premoderation,
    )


async def subnet_for_member(
    s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str, node_name: str
) -> SubnetSummary:
    """The subnet, if `person` is a member of it (else NotFound: no hint that it exists)."""
    uri = await personas.find_member_uri(s, ids, person.id, subnet_uri)
    if (
        not may(person.role, Action.READ_SUBNET)
        or uri is None
        or await store.membership(s, subnet_uri, uri) is None
    ):
        raise NotFound("You are not a member of that subnet.")
    return await summary(s, ids, subnet_uri, node_name)


async def require_member(s: AsyncSession, subnet_uri: str, member_uri: str) -> None:
    if await store.membership(s, subnet_uri, member_uri) is None:
        raise NotPermitted("That person is not a member of this subnet.")


async def member_visible_to_node(
    s: AsyncSession, ids: LocalIds, member: personas.Member, peer: Peer
) -> bool:
    """A person's persona is visible to a node only if it is a member of its subnet and that
    node takes part in the subnet."""
    subnet_uri = member.persona.subnet_uri
    return await store.membership(s, subnet_uri, member.uri) is not None and await node_may_see(
        s, ids, subnet_uri, peer
    )


async def all_local_subnets(s: AsyncSession) -> list[Subnet]:
    """Every subnet hosted here, by name (for admins)."""
    return list(await store.list_subnets(s))
