"""Password-reset links, stored as hashes of their tokens."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PasswordReset


async def replace_reset(s: AsyncSession, reset: PasswordReset) -> None:
    """Store `reset`, dropping any earlier unused link for the same person."""
    await s.execute(
        delete(PasswordReset).where(
            PasswordReset.person_id == reset.person_id, PasswordReset.used_at.is_(None)
        )
    )
    s.add(reset)
    await s.flush()


async def reset_by_hash(s: AsyncSession, token_hash: str) -> PasswordReset | None:
    query = select(PasswordReset).where(PasswordReset.token_hash == token_hash)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return await s.scalar(query)
