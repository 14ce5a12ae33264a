"""Per-subnet personas of local people (see `Persona`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import insert_or
from storage.models import Person, Persona, new_id


async def persona_for(s: AsyncSession, person_id: str, subnet_uri: str) -> Persona:
    """The person's persona in a subnet, created on first use (atomically: two requests of one
    person may race). Read first: nearly every call finds it, and a page view then writes
    nothing."""
    found = select(Persona).where(Persona.person_id == person_id, Persona.subnet_uri == subnet_uri)
    persona = await s.scalar(found)
    if persona is not None:
        return persona
    await s.execute(
        insert_or(s, Persona)
        .values(id=new_id(), person_id=person_id, subnet_uri=subnet_uri)
        .on_conflict_do_nothing(index_elements=["person_id", "subnet_uri"])
    )
    persona = await s.scalar(found)
    assert persona is not None
    return persona


async def persona_with_person(s: AsyncSession, persona_id: str) -> tuple[Persona, Person] | None:
    row = (
        await s.execute(
            select(Persona, Person)
            .join(Person, Person.id == Persona.person_id)
            .where(Persona.id == persona_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def personas_of(s: AsyncSession, person_id: str) -> Sequence[Persona]:
    return (await s.scalars(select(Persona).where(Persona.person_id == person_id))).all()


async def personas_in(
    s: AsyncSession, subnet_uri: str, person_ids: Sequence[str]
) -> dict[str, Persona]:
    if not person_ids:
        return {}
    rows = await s.scalars(
        select(Persona).where(Persona.subnet_uri == subnet_uri, Persona.person_id.in_(person_ids))
    )
    return {row.person_id: row for row in rows}
