"""Who a local person is inside one subnet: an actor URI of its own (`/members/{id}`) and the
pseudonym they chose there (else their usual one).

Every URI that names one of our people to another node is a persona URI, so two nodes that
both take part in two subnets cannot link the same person across them; the person URI
(`/people/{id}`) never leaves the node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, screened
from actors.avatars import chosen
from actors.errors import NotFound
from actors.events import EventKind
from actors.ids import LocalIds
from actors.people import check_pseudonym
from actors.role_tags import role_tag
from actors.screening import Screener
from storage import personas as store
from storage import subnets as subnet_store
from storage.models import Alert, Person, Persona


@dataclass(frozen=True)
class Member:
    """A local person as one subnet sees them."""

    uri: str
    name: str
    person: Person
    persona: Persona

    @property
    def role_tag(self) -> str | None:
        return role_tag(self.person.role)

    @property
    def avatar(self) -> str | None:
        return chosen(self.person.avatar)


async def member_uri(s: AsyncSession, ids: LocalIds, person_id: str, subnet_uri: str) -> str:
    return ids.member((await store.persona_for(s, person_id, subnet_uri)).id)


async def local_member(s: AsyncSession, ids: LocalIds, uri: str) -> Member | None:
    """The local person behind a persona URI, if it is one of ours."""
    persona_id = ids.member_id(uri)
    found = await store.persona_with_person(s, persona_id) if persona_id else None
    if found is None:
        return None
    persona, person = found
    return Member(uri, persona.pseudonym or person.pseudonym, person, persona)


async def member_uris_of(s: AsyncSession, ids: LocalIds, person_id: str) -> list[str]:
    return [ids.member(p.id) for p in await store.personas_of(s, person_id)]


async def members_of(s: AsyncSession, ids: LocalIds, person_id: str) -> list[Member]:
    """The person as each subnet they have a persona in sees them."""
    found = [
        await local_member(s, ids, ids.member(p.id)) for p in await store.personas_of(s, person_id)
    ]
    return [member for member in found if member is not None]


async def names_in(s: AsyncSession, subnet_uri: str, people: list[Person]) -> dict[str, str]:
    """Each person's name in the subnet (their persona's pseudonym, else their usual one)."""
    return names_among(await store.personas_in(s, subnet_uri, [p.id for p in people]), people)


def names_among(found: Mapping[str, Persona], people: Sequence[Person]) -> dict[str, str]:
    """`names_in` from personas already read (`found`: person id → their persona there)."""
    return {p.id: (found[p.id].pseudonym if p.id in found else None) or p.pseudonym for p in people}


async def set_pseudonym(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    subnet_uri: str,
    pseudonym: str,
    now: datetime,
    screener: Screener,
) -> Alert | None:
    """A member chooses the name shown in one subnet; the subnet's nodes hear by Update. A
    name screening flags is not applied: the alert raised about it is returned instead."""
    uri = await member_uri(s, ids, person.id, subnet_uri)
    if await subnet_store.membership(s, subnet_uri, uri) is None:
        raise NotFound("You are not a member of that subnet.")
    pseudonym = check_pseudonym(pseudonym)
    alert = await screened.screen_name(
        s,
        ids,
        screener=screener,
        person_id=person.id,
        name=pseudonym,
        subnet_uri=subnet_uri,
        now=now,
    )
    if alert is None:
        await apply_pseudonym(
            s, person_id=person.id, subnet_uri=subnet_uri, pseudonym=pseudonym, now=now
        )
    return alert


async def apply_pseudonym(
    s: AsyncSession, *, person_id: str, subnet_uri: str, pseudonym: str, now: datetime
) -> None:
    """Show a (checked, screened) name in one subnet."""
    persona = await store.persona_for(s, person_id, subnet_uri)
    persona.pseudonym = pseudonym
    await events.record(s, EventKind.PERSONA_UPDATED, {"persona_id": persona.id}, now)


async def find_member_uri(
    s: AsyncSession, ids: LocalIds, person_id: str, subnet_uri: str
) -> str | None:
    """The person's URI in a subnet if they ever had one there (never creates one: a page
    view must not write)."""
    found = await store.personas_in(s, subnet_uri, [person_id])
    return ids.member(found[person_id].id) if person_id in found else None
