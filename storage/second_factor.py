"""Recovery codes and the second step of a staff sign-in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RecoveryCode, WebSession


async def replace_recovery_codes(s: AsyncSession, person_id: str, hashes: Sequence[str]) -> None:
    await s.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person_id))
    s.add_all(RecoveryCode(person_id=person_id, code_hash=h) for h in hashes)
    await s.flush()


async def unused_recovery_code(
    s: AsyncSession, person_id: str, code_hash: str
) -> RecoveryCode | None:
    return await s.scalar(
        select(RecoveryCode).where(
            RecoveryCode.person_id == person_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
    )


async def unused_recovery_codes(s: AsyncSession, person_id: str) -> int:
    rows = await s.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.person_id == person_id, RecoveryCode.used_at.is_(None)
        )
    )
    return len(rows.all())


async def mark_session_verified(s: AsyncSession, token_hash: str, now: datetime) -> None:
    await s.execute(
        update(WebSession)
        .where(WebSession.token_hash == token_hash)
        .values(verified=True, last_seen_at=now)
    )
