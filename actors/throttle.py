"""Slowing down password and code guessing, per account and per client address.

After `failures` failed attempts within `window`, the key is locked for `lockout`. Counters are
rows (`sign_in_throttle`), not process memory: several `sharon serve` processes sharing one
PostgreSQL see the same counts, and a restart does not reset them. The price is one small write
per failure, and that anyone who knows a username can lock that account for `lockout` — which is
why the account limit is a short, temporary lock (a clinician's password reset also lifts it),
and why the address limit is higher (many people may share a hospital or school network).
Keys are SHA-256 hashes, so the table holds neither usernames nor IP addresses.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import ActorError
from storage import throttle as store


class Throttled(ActorError):
    """Too many failures recently; `str(error)` says how long to wait, `retry_after` in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    failures: int
    window: timedelta
    lockout: timedelta


ACCOUNT = Limit(failures=5, window=timedelta(minutes=15), lockout=timedelta(minutes=15))
ADDRESS = Limit(failures=30, window=timedelta(minutes=15), lockout=timedelta(minutes=15))


def _key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def account_key(username: str) -> str:
    return _key("account", username.strip().lower())


def address_key(address: str) -> str:
    return _key("address", address)


async def check(s: AsyncSession, keys: list[str], now: datetime) -> None:
    """Raise `Throttled` if any of `keys` is locked now."""
    waits = [row.locked_until - now for row in await store.throttles(s, keys) if row.locked_until]
    longest = max((wait for wait in waits if wait > timedelta(0)), default=None)
    if longest is not None:
        minutes = max(1, math.ceil(longest.total_seconds() / 60))
        raise Throttled(
            f"Too many attempts that did not work. Wait {minutes} minute"
            f"{'s' if minutes != 1 else ''} and try again, or ask your clinician for help.",
            retry_after=math.ceil(longest.total_seconds()),
        )


async def record_failure(s: AsyncSession, key: str, limit: Limit, now: datetime) -> None:
    """Count one failure for `key`; reaching the limit locks it."""
    row = await store.locked_throttle(s, key, now)
    if now - row.window_started_at > limit.window:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit.failures:
        row.locked_until = now + limit.lockout
        row.failures, row.window_started_at = 0, now


async def clear(s: AsyncSession, key: str) -> None:
    await store.clear_throttle(s, key)
