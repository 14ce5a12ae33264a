"""Password resets issued by a clinician: no e-mail needed, the link is handed over in person.

The link carries a 256-bit token (only its SHA-256 is stored), works once, expires after
24 hours, and a newer link replaces an older one. Using it signs the person out everywhere.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from actors import throttle
from actors.errors import Invalid, NotFound
from actors.ids import LocalIds
from actors.passwords import check_password
from actors.people import token_hash
from actors.policy import Action, may, may_invite
from storage import audit
from storage import people as people_store
from storage import resets as store
from storage.models import PasswordReset, Person

LIFETIME = timedelta(hours=24)


async def issue_reset(
    s: AsyncSession, ids: LocalIds, *, by: Person, person_id: str, now: datetime
) -> str:
    """A new reset token for `person_id`, if `by` looks after people in that role."""
    person = await people_store.person_by_id(s, person_id)
    if (
        person is None
        or person.id == by.id
        or not may(by.role, Action.ISSUE_PASSWORD_RESET)
        or not may_invite(by.role, person.role)
    ):
        raise NotFound("There is no such person you can reset a password for.")
    token = secrets.token_urlsafe(32)
    await store.replace_reset(
        s,
        PasswordReset(
            token_hash=token_hash(token),
            person_id=person.id,
            created_by=by.id,
            created_at=now,
            expires_at=now + LIFETIME,
        ),
    )
    await audit.record(
        s,
        at=now,
        who=ids.person(by.id),
        action="password_reset.issued",
        target=ids.person(person.id),
    )
    return token


async def open_reset(s: AsyncSession, token: str, now: datetime) -> tuple[PasswordReset, Person]:
    reset = await store.reset_by_hash(s, token_hash(token)) if token else None
    person = await people_store.person_by_id(s, reset.person_id) if reset else None
    if reset is None or person is None:
        raise Invalid("This reset link is not right. Ask your clinician for a new one.")
    if reset.used_at is not None:
        raise Invalid("This reset link has been used already. Ask your clinician for a new one.")
    if reset.expires_at <= now:
        raise Invalid("This reset link has expired. Ask your clinician for a new one.")
    return reset, person


async def use_reset(
    s: AsyncSession,
    ids: LocalIds,
    hasher: PasswordHasher,
    *,
    token: str,
    password: str,
    now: datetime,
) -> Person:
    """Set the new password, end every session, lift any sign-in lock."""
    reset, person = await open_reset(s, token, now)
    check_password(password, not_containing=(person.username, person.pseudonym))
    person.password_hash = hasher.hash(password)
    reset.used_at = now
    await people_store.delete_web_sessions_of(s, person.id)
    await throttle.clear(s, throttle.account_key(person.username))
    await audit.record(
        s,
        at=now,
        who=ids.person(person.id),
        action="password_reset.used",
        target=ids.person(person.id),
    )
    return person
