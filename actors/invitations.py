"""Invitations: the only way a patient, carer, professional or volunteer gets an account.

A staff member names the role and the subnets; the invitee gets a link (a 256-bit token) and a
short code to read out on the phone (8 characters from an alphabet without look-alikes). Only
SHA-256 hashes of both are stored. An invitation works once, until it expires (7 days by
default) or is revoked; accepting it creates the account, its memberships and any personal
details in one transaction. Code guessing is throttled per address by the caller's `address`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from actors import people, personas, screened, sharing, subnets, throttle
from actors.errors import Invalid, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.people import token_hash
from actors.policy import Action, Role, may, may_invite, may_join, parse_role, refusal_to_join
from actors.screening import Screener
from actors.text import line_text
from storage import audit
from storage import details as details_store
from storage import invitations as store
from storage import peers as peer_store
from storage import subnets as subnet_store
from storage.models import Alert, Invitation, Person, PersonalDetails

EXPIRY = timedelta(days=7)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
HELD_NAME_STAND_IN = "New member"  # shown while a pseudonym screening flagged waits for the team


class WrongCode(Invalid):
    """No invitation has that code or token."""


async def record_wrong_code(s: AsyncSession, *, address: str, now: datetime) -> None:
    """Codes are short, so each wrong one counts towards the address's throttle."""
    await throttle.record_failure(s, throttle.address_key(address), throttle.ADDRESS, now)


def normalise_code(code: str) -> str:
    """What someone typed after hearing the code: any case, spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def show_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


@dataclass(frozen=True)
class NewInvitation:
    """The secrets exist only here, once, to show to the inviter."""

    invitation: Invitation
    token: str
    code: str


async def invitable_subnets(
    s: AsyncSession, ids: LocalIds, inviter: Person
) -> list[tuple[str, str]]:
    """(key, name) of the subnets `inviter` may invite into: an admin, any hosted here or taken
    part in; a clinician, the ones they belong to. A local subnet's key is its slug, one hosted
    by a partner trust its URI (so an invitation's `subnet_slugs` may hold both)."""
    result = []
    for subnet in await store.all_local_subnets(s):
        subnet_uri = ids.subnet(subnet.slug)
        if inviter.role == Role.ADMIN or await _belongs(s, ids, inviter, subnet_uri):
            result.append((subnet.slug, subnet.name))
    if may(inviter.role, Action.INVITE_INTO_PARTNER_SUBNET):
        for shared in await sharing.taking_part(s, ids, ""):
            if inviter.role == Role.ADMIN or await _belongs(s, ids, inviter, shared.uri):
                result.append((shared.uri, f"{shared.name} ({shared.host_name})"))
    return result


async def _belongs(s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str) -> bool:
    member = await personas.find_member_uri(s, ids, person.id, subnet_uri)
    return member is not None and await subnet_store.membership(s, subnet_uri, member) is not None


def _is_uri(key: str) -> bool:
    return "://" in key


async def _kind_of(s: AsyncSession, key: str) -> str:
    """A subnet's kind ("support" or "learning"), by slug here or URI elsewhere."""
    if _is_uri(key):
        group = await peer_store.remote_actor(s, key)
        return group.subnet_kind if group is not None else "support"
    subnet = await subnet_store.subnet_by_slug(s, key)
    return subnet.kind if subnet is not None else "support"


async def create_invitation(
    s: AsyncSession,
    ids: LocalIds,
    *,
    inviter: Person,
    role: str,
    subnet_slugs: Sequence[str],
    real_name: str = "",
    now: datetime,
    lifetime: timedelta = EXPIRY,
) -> NewInvitation:
    try:
        invitee = parse_role(role)
    except ValueError:
        raise Invalid("Choose who you are inviting.", "role") from None
    if not may_invite(inviter.role, invitee):
        raise NotPermitted(f"You cannot invite someone as {invitee.value}.")
    slugs = sorted(set(subnet_slugs))
    if not slugs:
        raise Invalid("Choose at least one subnet for them to join.", "subnets")
    allowed = {slug for slug, _ in await invitable_subnets(s, ids, inviter)}
    if not set(slugs) <= allowed:
        raise NotPermitted("You can only invite people into subnets you belong to.")
    for slug in slugs:
        kind = await _kind_of(s, slug)
        if not may_join(invitee, kind):
            raise Invalid(refusal_to_join(kind), "subnets")
    real_name = line_text(real_name, "The real name", "real_name")
    if len(real_name) > 200:
        raise Invalid("A real name can be at most 200 characters long.", "real_name")
    token = secrets.token_urlsafe(32)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    invitation = await store.add_invitation(
        s,
        Invitation(
            token_hash=token_hash(token),
            code_hash=token_hash(code),
            role=invitee.value,
            subnet_slugs=slugs,
            real_name=real_name or None,
            created_by=inviter.id,
            created_at=now,
            expires_at=now + lifetime,
        ),
    )
    await audit.record(
        s, at=now, who=ids.person(inviter.id), action="invitation.created", target=invitation.id
    )
    return NewInvitation(invitation, token, code)


def state(invitation: Invitation, now: datetime) -> str:
    """One word for the list: open, used, revoked or expired."""
    if invitation.used_at:
        return "used"
    if invitation.revoked_at:
        return "revoked"
    return "expired" if invitation.expires_at <= now else "open"


async def invitations_for(s: AsyncSession, viewer: Person) -> Sequence[Invitation]:
    """A clinician sees the invitations they made; an admin sees everyone's."""
    if not may(viewer.role, Action.INVITE):
        raise NotPermitted("Only staff can see invitations.")
    return await store.invitations(s, None if viewer.role == Role.ADMIN else viewer.id)


async def revoke_invitation(
    s: AsyncSession, ids: LocalIds, *, by: Person, invitation_id: str, now: datetime
) -> None:
    invitation = await store.invitation_by_id(s, invitation_id)
    if (
        invitation is None
        or not may(by.role, Action.REVOKE_INVITATION)
        or (by.role != Role.ADMIN and invitation.created_by != by.id)
    ):
        raise NotFound("There is no such invitation.")
    if state(invitation, now) != "open":
        raise Invalid(f"That invitation is already {state(invitation, now)}.")
    invitation.revoked_at = now
    await audit.record(
        s, at=now, who=ids.person(by.id), action="invitation.revoked", target=invitation.id
    )


async def open_invitation(
    s: AsyncSession, *, token: str = "", code: str = "", address: str, now: datetime
) -> Invitation:
    """The usable invitation for a link token or a typed code; `Invalid` says why not.

    On `WrongCode` the caller counts a failure against the address, in a transaction of its own
    (this one rolls back with the error), with `record_wrong_code`."""
    await throttle.check(s, [throttle.address_key(address)], now)
    if token:
        invitation = await store.invitation_by_hash(s, token_hash=token_hash(token))
    elif normalise_code(code):
        invitation = await store.invitation_by_hash(s, code_hash=token_hash(normalise_code(code)))
    else:
        raise Invalid("Enter the invitation code your clinician gave you.", "code")
    if invitation is None:
        raise WrongCode("That invitation code is not right. Check it and try again.", "code")
    why = {
        "used": "This invitation has already been used. If that was not you, tell your clinician.",
        "revoked": "This invitation was withdrawn. Ask your clinician for a new one.",
        "expired": "This invitation has expired. Ask your clinician for a new one.",
    }.get(state(invitation, now))
    if why:
        raise Invalid(why)
    return invitation


async def subnet_names(s: AsyncSession, invitation: Invitation) -> list[str]:
    found = await store.subnets_by_slug(s, invitation.subnet_slugs)
    names = []
    for key in invitation.subnet_slugs:
        group = await peer_store.remote_actor(s, key) if _is_uri(key) else None
        if key in found:
            names.append(found[key].name)
        elif group is not None:
            names.append(group.name)
    return names


async def _join_partner_subnet(
    s: AsyncSession, ids: LocalIds, subnet_uri: str, person: Person, now: datetime
) -> None:
    """A Join to the subnet's home, if this trust still takes part in it (else nothing: the
    sharing ended after the invitation was made)."""
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is not None and group.kind == "Group" and ids.instance in group.partners:
        await subnets.join_remote_subnet(s, ids, group=group, person=person, now=now)


async def accept_invitation(
    s: AsyncSession,
    ids: LocalIds,
    hasher: PasswordHasher,
    *,
    invitation: Invitation,
    username: str,
    pseudonym: str,
    password: str,
    now: datetime,
    screener: Screener,
) -> tuple[Person, Alert | None]:
    """Create the invitee's account in the invitation's subnets; the invitation is then spent.
    A pseudonym screening flags is not used (others see `HELD_NAME_STAND_IN` until the team
    applies it): the alert raised about it is returned with the person."""
    people.check_new_account(username, password, pseudonym, invitation.real_name)
    pseudonym = people.check_pseudonym(pseudonym, real_name=invitation.real_name)
    person = await people.add_person(
        s,
        hasher,
        username=username,
        role=invitation.role,
        password=password,
        now=now,
        pseudonym=pseudonym,
        who=ids.person(invitation.created_by) if invitation.created_by else "invitation",
    )
    held = await screened.screen_name(
        s, ids, screener=screener, person_id=person.id, name=pseudonym, subnet_uri="", now=now
    )
    if held is not None:
        person.pseudonym = HELD_NAME_STAND_IN
    found = await store.subnets_by_slug(s, invitation.subnet_slugs)
    for key in invitation.subnet_slugs:
        if not may_join(person.role, await _kind_of(s, key)):
            continue  # it became a learning space after the invitation was made
        if key in found:
            await subnets.add_local_member(s, ids, slug=key, person=person, now=now)
        elif _is_uri(key):
            await _join_partner_subnet(s, ids, key, person, now)
    if invitation.real_name:
        await details_store.set_personal_details(
            s, PersonalDetails(person_id=person.id, real_name=invitation.real_name)
        )
    invitation.used_at, invitation.used_by, invitation.real_name = now, person.id, None
    await audit.record(
        s, at=now, who=ids.person(person.id), action="invitation.accepted", target=invitation.id
    )
    return person, held
