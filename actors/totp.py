"""The second factor staff need: TOTP (RFC 6238) and one-time recovery codes.

A code is accepted for the current 30-second step or one either side (clock drift), and never
for a step at or before the last one used (RFC 6238 §5.2: no replays). Failed codes count
towards the account's sign-in throttle, so six digits cannot be walked through. Recovery codes
are shown once at enrolment and stored as SHA-256 hashes; each works once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from actors import throttle
from actors.errors import Invalid, NotFound
from actors.people import token_hash
from storage import people as people_store
from storage import second_factor as store
from storage.models import Person

RECOVERY_CODES = 10
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_BASE32 = re.compile(r"[A-Z2-7]{16,64}")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, username: str, issuer: str) -> str:
    """The `otpauth://` link an authenticator app understands."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=f"SHaRON {issuer}")


def checked_secret(secret: str) -> str:
    """A base32 secret as authenticator apps use, or `Invalid`."""
    secret = secret.replace(" ", "").upper()
    if not _BASE32.fullmatch(secret):
        raise Invalid("A TOTP secret is 16 to 64 base32 characters (A–Z, 2–7).", "code")
    return secret


def show_secret(secret: str) -> str:
    """Groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    totp, current = pyotp.TOTP(secret), pyotp.TOTP(secret).timecode(now)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


async def _person(s: AsyncSession, person_id: str) -> Person:
    person = await people_store.person_by_id(s, person_id)
    if person is None or person.disabled:
        raise NotFound("There is no such account.")
    return person


async def enrol(
    s: AsyncSession, *, person_id: str, session_token: str, secret: str, code: str, now: datetime
) -> list[str]:
    """Turn on TOTP once the person proves their app has `secret`, finish this session's
    sign-in, and return new recovery codes (to show once)."""
    person = await _person(s, person_id)
    secret = checked_secret(secret)
    step = _matching_step(secret, _normalise(code), now, None)
    if step is None:
        raise Invalid("That code is not right. Enter the 6-digit code your app shows now.", "code")
    person.totp_secret, person.totp_last_step = secret, step
    codes = await _new_recovery_codes(s, person)
    await store.mark_session_verified(s, token_hash(session_token), now)
    return codes


async def _new_recovery_codes(s: AsyncSession, person: Person) -> list[str]:
    codes = [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    await store.replace_recovery_codes(s, person.id, [_hash(code) for code in codes])
    return codes


async def renew_recovery_codes(
    s: AsyncSession, *, person_id: str, code: str, now: datetime
) -> list[str]:
    """Ten new recovery codes (the old ones stop working), confirmed with a current app code."""
    person = await _person(s, person_id)
    step = (
        _matching_step(person.totp_secret, _normalise(code), now, person.totp_last_step)
        if person.totp_secret
        else None
    )
    if step is None:
        raise Invalid("That code is not right. Enter the 6-digit code your app shows now.", "code")
    person.totp_last_step = step
    return await _new_recovery_codes(s, person)


async def verify(
    s: AsyncSession, *, person_id: str, session_token: str, code: str, now: datetime
) -> bool:
    """Finish this session's sign-in with a TOTP code or an unused recovery code.

    False (and a failure counted towards the account throttle) when the code is wrong."""
    person = await _person(s, person_id)
    key = throttle.account_key(person.username)
    await throttle.check(s, [key], now)
    typed = _normalise(code)
    accepted = False
    if person.totp_secret and typed.isdigit():
        step = _matching_step(person.totp_secret, typed, now, person.totp_last_step)
        if step is not None:
            person.totp_last_step, accepted = step, True
    elif len(typed) == 10:
        found = await store.unused_recovery_code(s, person.id, _hash(typed))
        if found is not None:
            found.used_at, accepted = now, True
    if not accepted:
        await throttle.record_failure(s, key, throttle.ACCOUNT, now)
        return False
    await store.mark_session_verified(s, token_hash(session_token), now)
    return True


async def recovery_codes_left(s: AsyncSession, person_id: str) -> int:
    return await store.unused_recovery_codes(s, person_id)
