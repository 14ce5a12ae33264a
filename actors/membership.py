"""Leaving, removal by a moderator, and approval of joins (FEP-1b12: the Group decides).

A join from a partner's clinician-added person is automatic unless the subnet asks for
approval; then it waits (`pending`) until a moderator of the subnet's home answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, notices, personas, sanctions
from actors.errors import Conflict, Invalid, NotFound, NotPermitted
from actors.events import EventKind
from actors.ids import LocalIds, host_of
from actors.policy import STAFF, may_join, refusal_to_join
from actors.subnets import join_remote_subnet, may_join_as
from storage import audit, forgetting
from storage import peers as peer_store
from storage import people as people_store
from storage import subnets as store
from storage.models import Peer, Person


async def _is_member(s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str) -> bool:
    uri = await personas.find_member_uri(s, ids, person.id, subnet_uri)
    return uri is not None and await store.membership(s, subnet_uri, uri) is not None


async def _tell(
    s: AsyncSession, kind: EventKind, subnet_uri: str, member_uri: str, now: datetime
) -> None:
    """Record a membership change for the delivery worker to tell the node concerned."""
    await events.record(s, kind, {"subnet_uri": subnet_uri, "member_uri": member_uri}, now)


async def leave(
    s: AsyncSession, ids: LocalIds, *, person: Person, subnet_uri: str, now: datetime
) -> None:
    """A person leaves a subnet; a remote subnet's home hears by Leave."""
    member = await personas.find_member_uri(s, ids, person.id, subnet_uri)
    if member is None or not await store.remove_membership(s, subnet_uri, member):
        raise NotFound("You are not a member of that subnet.")
    if ids.subnet_slug(subnet_uri) is None:
        await _tell(s, EventKind.MEMBERSHIP_LEFT, subnet_uri, member, now)


async def require_moderator(
    s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str
) -> None:
    if person.role not in STAFF or ids.subnet_slug(subnet_uri) is None:
        raise NotPermitted("Only staff of the subnet's home trust can moderate its members.")
    if person.role != "admin" and not await _is_member(s, ids, person, subnet_uri):
        raise NotPermitted("Only a moderator of this subnet can do that.")


async def remove_member(
    s: AsyncSession,
    ids: LocalIds,
    *,
    moderator: Person,
    subnet_uri: str,
    member_uri: str,
    now: datetime,
    reason: str = "",
) -> None:
    """A moderator removes someone from a subnet hosted here; their node hears by Remove, and
    one of our people is told, with the reason."""
    await require_moderator(s, ids, moderator, subnet_uri)
    if not await store.remove_membership(s, subnet_uri, member_uri):
        raise NotFound("That person is not in this subnet.")
    await _tell_removed(s, ids, subnet_uri, member_uri, reason, now)
    if not ids.is_local(member_uri):  # their node tells them, with the reason
        await events.record(
            s,
            EventKind.MEMBERSHIP_REMOVED,
            {"subnet_uri": subnet_uri, "member_uri": member_uri, "reason": reason},
            now,
        )
    await audit.record(
        s, at=now, who=ids.person(moderator.id), action="member.removed", target=member_uri
    )


async def _tell_removed(
    s: AsyncSession, ids: LocalIds, subnet_uri: str, member_uri: str, reason: str, now: datetime
) -> None:
    local = await personas.local_member(s, ids, member_uri)
    if local is not None:
        await notices.tell(
            s,
            person_id=local.person.id,
            kind=notices.NoticeKind.MEMBER_REMOVED,
            subject_uri=subnet_uri,
            subnet_uri=subnet_uri,
            reason=reason or None,
            now=now,
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
    await require_moderator(s, ids, moderator, subnet_uri)
    row = await store.any_membership(s, subnet_uri, member_uri)
    if row is None or row.state != "pending":
        raise NotFound("There is no pending request from that person.")
    if approve:
        row.state = "active"
        await _tell_joined(s, ids, subnet_uri, member_uri, now)
    else:
        await store.remove_membership(s, subnet_uri, member_uri)
    if not ids.is_local(member_uri):
        payload = {"subnet_uri": subnet_uri, "member_uri": member_uri, "accepted": approve}
        await events.record(s, EventKind.JOIN_ANSWERED, payload, now)
    await audit.record(
        s,
        at=now,
        who=ids.person(moderator.id),
        action="join.approved" if approve else "join.refused",
        target=member_uri,
    )


async def remote_join(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    subnet_uri: str,
    member_uri: str,
    now: datetime,
    joins_as: object = None,
) -> None:
    """A person on a partner node joins a subnet hosted here: automatic, or pending approval.
    A learning space answers No (a Reject, so their node drops the membership too) unless
    their node says they are staff or a professional (`joins_as`)."""
    if host_of(member_uri) != peer.host:
        raise NotPermitted("A Join must come from its member's node.")
    slug = ids.subnet_slug(subnet_uri)
    subnet = await store.subnet_by_slug(s, slug) if slug else None
    if subnet is None or not await store.is_partner(s, subnet.id, peer.id):
        raise NotFound("No such subnet is shared with that node.")
    if not may_join_as(joins_as, subnet.kind):
        payload = {"subnet_uri": subnet_uri, "member_uri": member_uri, "accepted": False}
        await events.record(s, EventKind.JOIN_ANSWERED, payload, now)
        await audit.record(s, at=now, who="policy", action="join.refused", target=member_uri)
        return
    added = await store.add_membership(
        s,
        subnet_uri=subnet_uri,
        member_uri=member_uri,
        role="member",
        now=now,
        state="pending" if subnet.join_approval else "active",
    )
    if added and subnet.join_approval:
        await notices.tell_moderators_of_request(
            s, ids, subnet_uri=subnet_uri, member_uri=member_uri, now=now
        )


async def _tell_joined(
    s: AsyncSession, ids: LocalIds, subnet_uri: str, member_uri: str, now: datetime
) -> None:
    member = await personas.local_member(s, ids, member_uri)
    if member is not None:
        await notices.tell(
            s,
            person_id=member.person.id,
            kind=notices.NoticeKind.JOIN_APPROVED,
            subject_uri=subnet_uri,
            subnet_uri=subnet_uri,
            now=now,
        )


async def approved_by_home(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, subnet_uri: str, member_uri: str, now: datetime
) -> None:
    """A subnet's home approved one of our people's request to join: they are told."""
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None or group.peer_id != peer.id or not ids.is_local(member_uri):
        raise NotPermitted("Only a subnet's home can approve its members.")
    if await store.membership(s, subnet_uri, member_uri) is not None:
        await _tell_joined(s, ids, subnet_uri, member_uri, now)


async def remote_leave(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, subnet_uri: str, member_uri: str
) -> None:
    if host_of(member_uri) != peer.host or ids.subnet_slug(subnet_uri) is None:
        raise NotPermitted("A Leave must come from its member's node, to a subnet hosted here.")
    await store.remove_membership(s, subnet_uri, member_uri)


async def removed_by_home(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    subnet_uri: str,
    member_uri: str,
    now: datetime,
    reason: str = "",
) -> None:
    """A subnet's home removed (or refused) one of our people; one who was a member is told,
    with the home's reason when it gave one."""
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None or group.peer_id != peer.id or not ids.is_local(member_uri):
        raise NotPermitted("Only a subnet's home can remove its members.")
    row = await store.any_membership(s, subnet_uri, member_uri)
    await store.remove_membership(s, subnet_uri, member_uri)
    if row is not None and row.state == "active":
        reason = sanctions.checked_reason(reason[: sanctions.MAX_REASON], required=False)
        await _tell_removed(s, ids, subnet_uri, member_uri, reason, now)


async def erased_at_home(s: AsyncSession, *, peer: Peer, member_uri: str) -> None:
    """A partner's person erased their account: forget their persona here (memberships,
    Likes, cached document). Only the persona's own node may say so."""
    if host_of(member_uri) != peer.host:
        raise NotPermitted("Only a person's own node can say they are erased.")
    await forgetting.forget_person(s, member_uri)


@dataclass(frozen=True)
class MemberView:
    """One member as a moderator sees them: pseudonym and trust, never personal details."""

    uri: str
    name: str
    trust: str
    state: str
    local: bool
    role: str = "member"


async def _require_staff_member(
    s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str
) -> None:
    """Staff manage their own trust's people in a subnet they belong to (admins in any)."""
    if person.role not in STAFF:
        raise NotPermitted("Only staff can manage who is in a subnet.")
    if person.role != "admin" and not await _is_member(s, ids, person, subnet_uri):
        raise NotFound("You are not a member of that subnet.")


async def members(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, subnet_uri: str, node_name: str
) -> list[MemberView]:
    """Who is in a subnet, as far as this node knows: all members at its home, our own
    people elsewhere."""
    await _require_staff_member(s, ids, viewer, subnet_uri)
    rows = list(await store.members_of(s, subnet_uri))
    remote = await peer_store.remote_actors(s, [r.member_uri for r in rows])
    peers = {peer.id: peer.name for peer in await peer_store.list_peers(s)}
    views = []
    for row in rows:
        local = await personas.local_member(s, ids, row.member_uri)
        if local is not None:
            name, trust = local.name, node_name
        else:
            actor = remote.get(row.member_uri)
            name = actor.name if actor else "A member"
            trust = peers.get(actor.peer_id, "another trust") if actor else host_of(row.member_uri)
        views.append(
            MemberView(row.member_uri, name, trust, row.state, local is not None, row.role)
        )
    return views


async def add_person(
    s: AsyncSession,
    ids: LocalIds,
    *,
    clinician: Person,
    subnet_uri: str,
    username: str,
    now: datetime,
) -> Person:
    """Staff add one of this trust's people to a subnet: directly when it is hosted here, by
    Join to its home when it is a partner's (its policy decides there)."""
    await _require_staff_member(s, ids, clinician, subnet_uri)
    person = await people_store.person_by_username(s, username.strip().lower())
    if person is None or person.disabled:
        raise Invalid("There is no one with that username at this trust.")
    slug = ids.subnet_slug(subnet_uri)
    subnet = await store.subnet_by_slug(s, slug) if slug is not None else None
    if subnet is not None and not may_join(person.role, subnet.kind):
        raise Invalid(refusal_to_join(subnet.kind), "username")
    member = await personas.member_uri(s, ids, person.id, subnet_uri)
    if ids.subnet_slug(subnet_uri) is not None:
        added = await store.add_membership(
            s, subnet_uri=subnet_uri, member_uri=member, role="member", now=now
        )
    else:
        group = await peer_store.remote_actor(s, subnet_uri)
        if group is None:
            raise NotFound("That subnet is not known here.")
        if not may_join(person.role, group.subnet_kind):
            raise Invalid(refusal_to_join(group.subnet_kind), "username")
        added = await join_remote_subnet(s, ids, group=group, person=person, now=now)
    if not added:
        raise Conflict("That person is already in this subnet.")
    await audit.record(
        s, at=now, who=ids.person(clinician.id), action="member.added", target=member
    )
    return person


async def remove_own_person(
    s: AsyncSession,
    ids: LocalIds,
    *,
    clinician: Person,
    subnet_uri: str,
    member_uri: str,
    now: datetime,
    reason: str = "",
) -> None:
    """Staff take one of this trust's people out of a subnet (at its home: any member); the
    reason is kept on record with the decision."""
    if reason:
        await sanctions.record_removal(
            s, subnet_uri=subnet_uri, member_uri=member_uri, reason=reason, now=now
        )
    if ids.subnet_slug(subnet_uri) is not None:
        await remove_member(
            s,
            ids,
            moderator=clinician,
            subnet_uri=subnet_uri,
            member_uri=member_uri,
            now=now,
            reason=reason,
        )
        return
    await _require_staff_member(s, ids, clinician, subnet_uri)
    if not ids.is_local(member_uri) or not await store.remove_membership(s, subnet_uri, member_uri):
        raise NotFound("That person is not one of ours in this subnet.")
    await _tell_removed(s, ids, subnet_uri, member_uri, reason, now)
    await _tell(s, EventKind.MEMBERSHIP_LEFT, subnet_uri, member_uri, now)
    await audit.record(
        s, at=now, who=ids.person(clinician.id), action="member.removed", target=member_uri
    )


async def grant_moderator(
    s: AsyncSession,
    ids: LocalIds,
    *,
    moderator: Person,
    subnet_uri: str,
    member_uri: str,
    now: datetime,
) -> None:
    """A moderator at the home makes a member (typically a partner trust's clinician) a
    moderator too; a remote member's node hears by Add."""
    await require_moderator(s, ids, moderator, subnet_uri)
    row = await store.membership(s, subnet_uri, member_uri)
    if row is None:
        raise NotFound("That person is not in this subnet.")
    row.role = "moderator"
    if not ids.is_local(member_uri):
        await _tell(s, EventKind.MODERATOR_GRANTED, subnet_uri, member_uri, now)
    await audit.record(
        s, at=now, who=ids.person(moderator.id), action="moderator.granted", target=member_uri
    )


async def made_moderator(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, subnet_uri: str, member_uri: str
) -> None:
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None or group.peer_id != peer.id or not ids.is_local(member_uri):
        raise NotPermitted("Only a subnet's home can name its moderators.")
    row = await store.membership(s, subnet_uri, member_uri)
    if row is None:
        raise NotFound("That person is not in this subnet.")
    row.role = "moderator"
