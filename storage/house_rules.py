"""Each local subnet's house rules: plain text its staff write (never leaves this node)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HouseRules


async def rules_of(s: AsyncSession, subnet_ids: Sequence[str]) -> dict[str, str]:
    """The rules written for each of these subnets (those without rules are absent)."""
    if not subnet_ids:
        return {}
    rows = await s.scalars(select(HouseRules).where(HouseRules.subnet_id.in_(list(subnet_ids))))
    return {row.subnet_id: row.text for row in rows}


async def set_rules(s: AsyncSession, subnet_id: str, text: str, now: datetime) -> None:
    """Write a subnet's rules; empty text removes them."""
    row = await s.get(HouseRules, subnet_id)
    if not text:
        await s.execute(delete(HouseRules).where(HouseRules.subnet_id == subnet_id))
    elif row is None:
        s.add(HouseRules(subnet_id=subnet_id, text=text, updated_at=now))
    else:
        row.text, row.updated_at = text, now
