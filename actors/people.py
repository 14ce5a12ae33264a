"""Local accounts: creation, password sign-in and browser sessions.

Passwords are hashed with argon2id. Session cookies carry a random token; only its SHA-256 is
stored, so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from actors import throttle
from actors.errors import Conflict, Invalid, Invalids, NotFound, NotPermitted
from actors.passwords import check_password
from actors.policy import Action, Role, may, may_invite, needs_second_factor, parse_role
from actors.text import line_text
from storage import audit
from storage import people as store
from storage.models import Person, WebSession

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}$")
IDLE_TIMEOUT = timedelta(hours=2)
ABSOLUTE_LIFETIME = timedelta(hours=12)
# A password without its second factor is worth little for long: the code must follow soon.
SECOND_STEP_WITHIN = timedelta(minutes=10)


def check_pseudonym(pseudonym: str, real_name: str | None = None) -> str:
    """A pseudonym shown to others: 2–40 characters, no long runs of digits (phone, NHS no.),
    no e-mail address, and — when the clinician recorded it — no part of the real name."""
    pseudonym = line_text(pseudonym, "Your pseudonym", "pseudonym")
    if not 2 <= len(pseudonym) <= 40:
        raise Invalid("A pseudonym must be 2 to 40 characters long.", "pseudonym")
    if re.search(r"\d{4,}", pseudonym):
        raise Invalid("A pseudonym must not contain long numbers.", "pseudonym")
    if "@" in pseudonym:
        raise Invalid("A pseudonym must not be an e-mail address.", "pseudonym")
    lowered = pseudonym.lower()
    for part in re.split(r"[^\w]+", (real_name or "").lower()):
        if len(part) >= 3 and part in lowered:
            raise Invalid("Choose a pseudonym that is not your real name.", "pseudonym")
    return pseudonym


def check_new_account(
    username: str, password: str, pseudonym: str, real_name: str | None = None
) -> None:
    """`Invalids` naming every one of username, password and pseudonym that is not right."""
    problems: list[Invalid] = []
    if not USERNAME.match(username):
        problems.append(
            Invalid(
                "A username must be 2–32 characters: lower-case letters, digits, '.', '_' or '-'.",
                "username",
            )
        )
    for check in (
        lambda: check_pseudonym(pseudonym, real_name),
        lambda: check_password(password, not_containing=(username, pseudonym)),
    ):
        try:
            check()
        except Invalid as problem:
            problems.append(problem)
    if problems:
        raise Invalids(problems)


async def add_person(
    s: AsyncSession,
    hasher: PasswordHasher,
    *,
    username: str,
    role: str,
    password: str,
    now: datetime,
    pseudonym: str | None = None,
    who: str = "cli",
) -> Person:
    """Create a local account; `Invalid`/`Conflict` explain what is wrong with the request.
    The role given is audited, as by `who` (the inviter's URI, or "cli")."""
    check_new_account(username, password, pseudonym or username)
    try:
        role = parse_role(role)
    except ValueError as error:
        raise Invalid(str(error)) from None
    if await store.person_by_username(s, username) is not None:
        raise Conflict(f"The username {username!r} is taken.")
    person = await store.add_person(
        s,
        username=username,
        pseudonym=check_pseudonym(pseudonym or username),
        role=role,
        password_hash=hasher.hash(password),
        now=now,
    )
    await audit.record(s, at=now, who=who, action=f"role.given.{role}", target=person.id)
    return person


async def authenticate(
    s: AsyncSession, hasher: PasswordHasher, username: str, password: str
) -> Person | None:
    """The person whose credentials these are, or None (same work either way)."""
    person = await store.person_by_username(s, username)
    stored = person.password_hash if person and not person.disabled else _DUMMY_HASH
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return person if person and not person.disabled else None


async def sign_in(
    s: AsyncSession,
    hasher: PasswordHasher,
    *,
    username: str,
    password: str,
    address: str,
    now: datetime,
) -> Person | None:
    """`authenticate`, throttled per account and per client address (`throttle.Throttled`)."""
    account, client = throttle.account_key(username), throttle.address_key(address)
    await throttle.check(s, [account, client], now)
    person = await authenticate(s, hasher, username, password)
    if person is None:
        await throttle.record_failure(s, account, throttle.ACCOUNT, now)
        await throttle.record_failure(s, client, throttle.ADDRESS, now)
    else:
        await throttle.clear(s, account)
    return person


# A real argon2id hash of a random secret: checking an unknown username costs the same time as a
# known one, so sign-in timing does not reveal who has an account.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$OueB2XtD5nsUddvQfFCk9Q$CPU9Mk"
    "iEd3KSn0ZI4YzlnFqTNXeKvt6Wv7YX1jFlEeE"
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    verified: bool = True


async def start_session(s: AsyncSession, person: Person, now: datetime) -> NewSession:
    """A new browser session; for staff it stays unverified until their second factor."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    verified = not needs_second_factor(person.role)
    await store.add_web_session(
        s,
        token_hash=token_hash(token),
        person_id=person.id,
        csrf_token=csrf,
        now=now,
        verified=verified,
    )
    return NewSession(token, csrf, verified)


async def session_for(
    s: AsyncSession, token: str, now: datetime
) -> tuple[WebSession, Person] | None:
    """The live session for a cookie token; expired or idle sessions are ended here."""
    found = await store.web_session(s, token_hash(token))
    if found is None:
        return None
    session, person = found
    if (
        person.disabled
        or now - session.last_seen_at > IDLE_TIMEOUT
        or now - session.created_at > ABSOLUTE_LIFETIME
        or (not session.verified and now - session.created_at > SECOND_STEP_WITHIN)
    ):
        await store.delete_web_session(s, session.token_hash)
        return None
    if now - session.last_seen_at > timedelta(minutes=1):
        session.last_seen_at = now
    return session, person


async def end_session(s: AsyncSession, token: str) -> None:
    await store.delete_web_session(s, token_hash(token))


async def end_all_sessions(s: AsyncSession, person_id: str) -> None:
    """ "Sign out of all devices": every browser this person is signed in on."""
    await store.delete_web_sessions_of(s, person_id)


async def people_in_care(s: AsyncSession, viewer: Person) -> Sequence[Person]:
    """The local people `viewer` looks after (may invite, reset, see details of)."""
    if not may(viewer.role, Action.READ_PERSONAL_DETAILS):
        raise NotPermitted("Only staff can see the people at this trust.")
    roles = [role.value for role in Role if may_invite(viewer.role, role)]
    return [person for person in await store.people_with_roles(s, roles) if person.id != viewer.id]


async def person_in_care(s: AsyncSession, viewer: Person, person_id: str) -> Person:
    person = await store.person_by_id(s, person_id)
    if person is None or person.id == viewer.id or not may_invite(viewer.role, person.role):
        raise NotFound("There is no such person.")
    if not may(viewer.role, Action.READ_PERSONAL_DETAILS):
        raise NotFound("There is no such person.")
    return person
