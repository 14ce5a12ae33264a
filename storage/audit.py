"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Audit


async def record(
    s: AsyncSession, *, at: datetime, who: str, action: str, target: str, via: str | None = None
) -> None:
    s.add(Audit(at=at, who=who, action=action, target=target, via=via))
