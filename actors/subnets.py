"""Subnets: creating them, sharing them with partner nodes, and who belongs to which.

A subnet is named everywhere by its URI. Local subnets live in `subnet`; a subnet hosted on a
partner node is known here through its cached Group document and the memberships of our people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, personas
from actors.errors import Conflict, Invalid, NotFound, NotPermitted
from actors.events import EventKind
from actors.ids import LocalIds
from actors.policy import STAFF, SUBNET_KINDS, Action, Role, may, may_join, refusal_to_join
from actors.text import line_text
from storage import audit
from storage import peers as peer_store
from storage import subnets as store
from storage.models import Peer, Person, RemoteActor, Subnet

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
KIND_PROBLEM = "A subnet's kind must be 'support' or 'learning' (a learning space)."


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
    numbers: str = "shown"  # how readers see eating-disorder numbers (actors/numbers.py)
    audience: str = "adults"  # or "under_18"
    hold_concern: bool = False
    kind: str = "support"  # or "learning": professionals and staff alone (actors/policy.py)
    member_uri: str = ""  # the reader's member URI in it, when read for a member


async def new_subnet_problems(s: AsyncSession, *, slug: str, name: str) -> list[Invalid]:
    """Everything wrong with a new subnet's slug and name, so a form can list it all at once
    (each error's `field` is "slug" or "name")."""
    problems: list[Invalid] = []
    if not SLUG.match(slug):
        problems.append(
            Invalid(
                "A subnet slug must be 2–63 characters: lower-case letters, digits or '-'.", "slug"
            )
        )
    elif await store.subnet_by_slug(s, slug) is not None:
        problems.append(Invalid(f"A subnet called {slug!r} already exists.", "slug"))
    try:
        name = line_text(name, "The subnet's name", "name")
    except Invalid as error:
        problems.append(error)
    else:
        if not 2 <= len(name) <= 200:
            problems.append(Invalid("A subnet name must be 2 to 200 characters long.", "name"))
    return problems


async def create_subnet(
    s: AsyncSession,
    *,
    slug: str,
    name: str,
    now: datetime,
    who: str = "cli",
    kind: str = "support",
) -> Subnet:
    if SLUG.match(slug) and await store.subnet_by_slug(s, slug) is not None:
        raise Conflict(f"A subnet called {slug!r} already exists.")
    problems = await new_subnet_problems(s, slug=slug, name=name)
    if kind not in SUBNET_KINDS:
        problems.append(Invalid(KIND_PROBLEM, "kind"))
    if problems:
        raise problems[0]
    subnet = await store.add_subnet(
        s, slug=slug, name=line_text(name, "The subnet's name"), now=now
    )
    subnet.kind = kind
    await audit.record(s, at=now, who=who, action="subnet.created", target=slug)
    return subnet


async def learning_space_problems(s: AsyncSession, ids: LocalIds, subnet: Subnet) -> list[Invalid]:
    """Why a subnet cannot become a learning space now: someone in it may not be in one (a
    patient or carer here), or people of partner trusts are, whom this node cannot vouch for."""
    rows = await store.members_of(s, ids.subnet(subnet.slug))
    if any(not ids.is_local(row.member_uri) for row in rows):
        return [
            Invalid(
                "People from partner trusts are in this subnet, so it cannot become a learning "
                "space. Make a new subnet for it instead.",
                "kind",
            )
        ]
    for row in rows:
        member = await personas.local_member(s, ids, row.member_uri)
        if member is not None and not may_join(member.person.role, "learning"):
            return [
                Invalid(
                    "Patients, carers or volunteers are in this subnet, so it cannot become a "
                    "learning space. Only professionals and staff can be in one.",
                    "kind",
                )
            ]
    return []


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
    if not may_join(person.role, subnet.kind):
        raise Invalid(refusal_to_join(subnet.kind))
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
    if not may_join(person.role, group.subnet_kind):
        raise Invalid(refusal_to_join(group.subnet_kind))
    member_uri = await personas.member_uri(s, ids, person.id, group.uri)
    added = await store.add_membership(
        s, subnet_uri=group.uri, member_uri=member_uri, role="member", now=now
    )
    if added:
        payload = {"subnet_uri": group.uri, "member_uri": member_uri}
        if group.subnet_kind == "learning":
            payload["joins_as"] = joins_as(person.role)
        await events.record(s, EventKind.MEMBERSHIP_JOINED, payload, now)
    return added


def joins_as(role: str) -> str:
    """What a learning space's home is told of a person joining it from here: "staff" or
    "professional" (the only people `may_join` lets in), so it can hold to its rule too."""
    return "staff" if Role(role) in STAFF else Role(role).value


def may_join_as(claimed: object, subnet_kind: str) -> bool:
    """Whether a partner's person joining a subnet here, as their node says they are
    (`joins_as`), may: anyone in a support subnet; in a learning space, staff or a
    professional, and nobody of whom their node says nothing."""
    if subnet_kind != "learning":
        return True
    return claimed == "staff" or (
        isinstance(claimed, str) and claimed in set(Role) and may_join(claimed, subnet_kind)
    )


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
            subnet.numbers,
            subnet.audience,
            subnet.hold_concern,
            subnet.kind,
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
        group.numbers,
        group.audience,
        group.hold_concern,
        group.subnet_kind,
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
    return replace(await summary(s, ids, subnet_uri, node_name), member_uri=uri)


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
