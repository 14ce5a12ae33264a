"""Personal details recorded by clinicians: one row per person, kept apart from the account."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PersonalDetails


async def personal_details(s: AsyncSession, person_id: str) -> PersonalDetails | None:
    return await s.get(PersonalDetails, person_id)


async def set_personal_details(s: AsyncSession, details: PersonalDetails) -> None:
    await s.merge(details)
    await s.flush()
