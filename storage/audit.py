"""The append-only audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Audit


async def record(
    s: AsyncSession, *, at: datetime, who: str, action: str, target: str, via: str | None = None
) -> None:
    s.add(Audit(at=at, who=who, action=action, target=target, via=via))


async def entries_for(s: AsyncSession, target: str) -> Sequence[Audit]:
    return (await s.scalars(select(Audit).where(Audit.target == target).order_by(Audit.at))).all()
