"""Whether a suspension is in force, asked of every post a partner's member sends: counted only
for that member in that subnet, while neither lifted nor ended, and counted even before the
unit of work that added or lifted it has written it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import Database
from storage.models import Sanction
from storage.moderation import in_force

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SUBNET = "https://a.example/subnets/carers"
ALEX, SAM = "https://b.example/members/alex", "https://b.example/members/sam"


async def _suspended(s: AsyncSession, pairs: list[tuple[str, str]], at: datetime = NOW) -> set:
    return await in_force(s, kind="suspended", pairs=pairs, now=at)


async def test_a_suspension_is_in_force_for_its_member_and_subnet_until_it_ends_or_is_lifted(
    database: Database,
) -> None:
    later = NOW + timedelta(days=15)
    alex, sam, elsewhere = (SUBNET, ALEX), (SUBNET, SAM), (f"{SUBNET}-2", ALEX)
    async with database.transaction() as s:
        s.add(
            Sanction(
                kind="suspended",
                subnet_uri=SUBNET,
                member_uri=ALEX,
                created_at=NOW,
                until=NOW + timedelta(days=14),
            )
        )
        assert await _suspended(s, [alex]) == {alex}
    async with database.transaction() as s:
        assert await _suspended(s, [alex, sam, elsewhere, alex]) == {alex}
        assert await _suspended(s, [sam]) == set()
        assert await in_force(s, kind="warned", pairs=[alex], now=NOW) == set()
        assert await _suspended(s, [alex], later) == set()
        sanction = (await s.scalars(select(Sanction))).one()
        sanction.lifted_at = NOW + timedelta(hours=1)
        assert await _suspended(s, [alex, sam]) == set()
