"""Whether a suspension is in force, asked of every post a partner's member sends: counted only
for that member in that subnet, while neither lifted nor ended, and counted even before the
unit of work that added or lifted it has written it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.engine import Database
from storage.models import Sanction
from storage.moderation import in_force

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SUBNET = "https://a.example/subnets/carers"
ALEX, SAM = "https://b.example/members/alex", "https://b.example/members/sam"


async def test_a_suspension_is_in_force_for_its_member_and_subnet_until_it_ends_or_is_lifted(
    database: Database,
) -> None:
    later = NOW + timedelta(days=15)
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
        assert await in_force(s, kind="suspended", member_uri=ALEX, subnet_uri=SUBNET, now=NOW)
    async with database.transaction() as s:
        assert await in_force(s, kind="suspended", member_uri=ALEX, subnet_uri=SUBNET, now=NOW)
        assert not await in_force(s, kind="suspended", member_uri=SAM, subnet_uri=SUBNET, now=NOW)
        assert not await in_force(
            s, kind="suspended", member_uri=ALEX, subnet_uri=f"{SUBNET}-2", now=NOW
        )
        assert not await in_force(s, kind="warned", member_uri=ALEX, subnet_uri=SUBNET, now=NOW)
        assert not await in_force(
            s, kind="suspended", member_uri=ALEX, subnet_uri=SUBNET, now=later
        )
        sanction = (await s.scalars(select(Sanction))).one()
        sanction.lifted_at = NOW + timedelta(hours=1)
        assert not await in_force(s, kind="suspended", member_uri=ALEX, subnet_uri=SUBNET, now=NOW)
