"""Warnings and suspensions of members of a subnet, and holds on a person's posting.

The subnet's home decides and enforces (a suspended member's posts are refused there); the
member's home trust hears of it (`Block`, `Undo`) and applies it to its own person too, so they
cannot post in that subnet from anywhere and are told why and until when. A posting hold is
the author's home's own: after many reports it stops the person posting anywhere until a
clinician reviews it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import Invalid, NotPermitted
from storage import moderation as store
from storage.models import Person, Sanction

DURATIONS: dict[str, timedelta | None] = {
    "2w": timedelta(weeks=2),
    "1m": timedelta(days=30),
    "permanent": None,
}
DURATION_LABELS = {"2w": "2 weeks", "1m": "1 month", "permanent": "Permanently"}
MAX_REASON = 1000


def checked_reason(reason: str, *, required: bool = True) -> str:
    """A moderator's reason, as the person concerned will read it."""
    reason = " ".join(reason.split())
    if required and not reason:
        raise Invalid("Write a reason: the person will be told it.")
    if len(reason) > MAX_REASON:
        raise Invalid(f"A reason can be at most {MAX_REASON} characters long.")
    return reason


def until_for(duration: str, now: datetime) -> datetime | None:
    if duration not in DURATIONS:
        raise Invalid("Choose how long: 2 weeks, 1 month or permanently.")
    length = DURATIONS[duration]
    return now + length if length is not None else None


@dataclass(frozen=True)
class Barred:
    """Why a person may not post now, and until when (None: until reviewed, or for good)."""

    kind: str
    until: datetime | None
    reason: str


async def barred(
    s: AsyncSession, *, person: Person, member_uri: str | None, subnet_uri: str, now: datetime
) -> Barred | None:
    holds = await store.active_sanctions(s, kinds=("posting_hold",), now=now, person_id=person.id)
    if holds:
        return Barred("posting_hold", None, holds[0].reason)
    if member_uri is None:
        return None
    suspended = await store.active_sanctions(
        s, kinds=("suspended",), now=now, member_uri=member_uri, subnet_uri=subnet_uri
    )
    return Barred("suspended", suspended[0].until, suspended[0].reason) if suspended else None


async def require_not_barred(
    s: AsyncSession, *, person: Person, member_uri: str | None, subnet_uri: str, now: datetime
) -> None:
    found = await barred(s, person=person, member_uri=member_uri, subnet_uri=subnet_uri, now=now)
    if found is None:
        return
    if found.kind == "posting_hold":
        raise NotPermitted(
            "You cannot post for now: a moderator is looking at some reports about your "
            "posts. You will be told when you can post again."
        )
    until = f"until {found.until:%d %B %Y}" if found.until else "for now"
    raise NotPermitted(f"You are suspended from this subnet {until}. Reason: {found.reason}")


async def suspended_among(
    s: AsyncSession, pairs: Collection[tuple[str, str]], now: datetime
) -> set[tuple[str, str]]:
    """Which of these (subnet URI, member URI) pairs are members suspended from the subnet."""
    return await store.in_force(s, kind="suspended", pairs=pairs, now=now)


async def suspend(
    s: AsyncSession,
    *,
    subnet_uri: str,
    member_uri: str,
    person_id: str | None,
    reason: str,
    until: datetime | None,
    now: datetime,
) -> Sanction:
    await lift(s, subnet_uri=subnet_uri, member_uri=member_uri, now=now)
    return await store.add_sanction(
        s,
        Sanction(
            kind="suspended",
            subnet_uri=subnet_uri,
            member_uri=member_uri,
            person_id=person_id,
            reason=reason,
            until=until,
            created_at=now,
        ),
    )


async def lift(s: AsyncSession, *, subnet_uri: str, member_uri: str, now: datetime) -> bool:
    found = await store.active_sanctions(
        s, kinds=("suspended",), now=now, member_uri=member_uri, subnet_uri=subnet_uri
    )
    for sanction in found:
        sanction.lifted_at = now
    return bool(found)


async def warn(
    s: AsyncSession,
    *,
    subnet_uri: str,
    member_uri: str,
    person_id: str | None,
    reason: str,
    now: datetime,
) -> Sanction:
    return await store.add_sanction(
        s,
        Sanction(
            kind="warned",
            subnet_uri=subnet_uri,
            member_uri=member_uri,
            person_id=person_id,
            reason=reason,
            until=now,
            created_at=now,
            lifted_at=now,
        ),
    )


async def hold_posting(s: AsyncSession, *, person_id: str, reason: str, now: datetime) -> bool:
    """Stop a person posting until reviewed; False if they are already held."""
    if await store.active_sanctions(s, kinds=("posting_hold",), now=now, person_id=person_id):
        return False
    await store.add_sanction(
        s, Sanction(kind="posting_hold", person_id=person_id, reason=reason, created_at=now)
    )
    return True


async def release_posting(s: AsyncSession, *, person_id: str, now: datetime) -> bool:
    found = await store.active_sanctions(s, kinds=("posting_hold",), now=now, person_id=person_id)
    for sanction in found:
        sanction.lifted_at = now
    return bool(found)


async def record_removal(
    s: AsyncSession, *, subnet_uri: str, member_uri: str, reason: str, now: datetime
) -> None:
    """Keep the reason a member was removed from a subnet with the decision."""
    await store.add_sanction(
        s,
        Sanction(
            kind="removed",
            subnet_uri=subnet_uri,
            member_uri=member_uri,
            reason=reason,
            until=now,
            created_at=now,
            lifted_at=now,
        ),
    )
