"""Invitations: the only way a patient, carer or professional gets an account.

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

from actors import people, personas, subnets, throttle
from actors.errors import Invalid, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.people import token_hash
from actors.policy import Action, Role, may, may_invite, parse_role
from storage import audit
from storage import details as details_store
from storage import invitations as store
from storage import subnets as subnet_store
from storage.models import Invitation, Person, PersonalDetails

EXPIRY = timedelta(days=7)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


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
    """(slug, name) of the local subnets `inviter` may invite into: an admin, any; a clinician,
    the ones they belong to."""
    result = []
    for subnet in await store.all_local_subnets(s):
        subnet_uri = ids.subnet(subnet.slug)
        member = await personas.find_member_uri(s, ids, inviter.id, subnet_uri)
        if inviter.role == Role.ADMIN or (
            member is not None and await subnet_store.membership(s, subnet_uri, member)
        ):
            result.append((subnet.slug, subnet.name))
    return result


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
    real_name = " ".join(real_name.split())
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
    return [found[slug].name for slug in invitation.subnet_slugs if slug in found]


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
) -> Person:
    """Create the invitee's account in the invitation's subnets; the invitation is then spent."""
    pseudonym = people.check_pseudonym(pseudonym, real_name=invitation.real_name)
    person = await people.add_person(
        s,
        hasher,
        username=username,
        role=invitation.role,
        password=password,
        now=now,
        pseudonym=pseudonym,
    )
    found = await store.subnets_by_slug(s, invitation.subnet_slugs)
    for slug in invitation.subnet_slugs:
        if slug in found:
            await subnets.add_local_member(s, ids, slug=slug, person=person, now=now)
    if invitation.real_name:
        await details_store.set_personal_details(
            s, PersonalDetails(person_id=person.id, real_name=invitation.real_name)
        )
    invitation.used_at, invitation.used_by, invitation.real_name = now, person.id, None
    await audit.record(
        s, at=now, who=ids.person(person.id), action="invitation.accepted", target=invitation.id
    )
    return person
