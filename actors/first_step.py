"""First Step subnets: for people on a waiting list, before their first appointment.

An admin marks a local subnet First Step and writes its "What happens next" page (the service,
its address, what to expect, the expected wait). A clinician assigns a person in their care to
the right one; on first opening it, the person lands on What happens next and the library
before the discussion (the subnet page sends them there until they have visited it once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import library, membership, people, subnets
from actors.errors import Invalid, Invalids, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.policy import Action, may
from actors.text import is_blank, post_text
from storage import audit
from storage import library as store
from storage import notices as visit_store
from storage import subnets as subnet_store
from storage.models import Person

FIELDS = ("service", "address", "what_to_expect", "expected_wait")
LABELS = {
    "service": "The service",
    "address": "Its address",
    "what_to_expect": "What to expect",
    "expected_wait": "The expected wait",
}
MAX_TEXT = 4000
ASSIGNABLE = ("patient", "carer")


@dataclass(frozen=True)
class Choice:
    slug: str
    uri: str
    name: str


def checked_texts(texts: dict[str, str]) -> dict[str, str]:
    """The What happens next texts given (any of FIELDS), checked; every problem at once."""
    problems: list[Invalid] = []
    checked = {}
    for name in FIELDS:
        if name not in texts:
            continue
        value = texts[name]
        try:
            checked[name] = "" if is_blank(value) else post_text(value, LABELS[name], name)
            if len(checked[name]) > MAX_TEXT:
                raise Invalid(f"{LABELS[name]} can be at most {MAX_TEXT} characters.", name)
        except Invalid as error:
            problems.append(error)
    if problems:
        raise Invalids(problems)
    return checked


async def set_first_step(
    s: AsyncSession,
    *,
    slug: str,
    on: bool,
    now: datetime,
    texts: dict[str, str] | None = None,
    who: str = "cli",
) -> library.NextSteps | None:
    """Mark a local subnet First Step or not; `texts` (any of FIELDS) replace those given."""
    subnet = await subnets.local_subnet(s, slug)
    given = checked_texts(texts) if texts else None
    row = await store.set_first_step(s, subnet.id, on=on, now=now, texts=given)
    await audit.record(
        s,
        at=now,
        who=who,
        action="subnet.first_step_on" if on else "subnet.first_step_off",
        target=slug,
    )
    return library.next_steps_of(row)


async def next_steps(s: AsyncSession, slug: str) -> library.NextSteps | None:
    subnet = await subnets.local_subnet(s, slug)
    return library.next_steps_of(await store.first_step(s, subnet.id))


async def choices_for(s: AsyncSession, ids: LocalIds, clinician: Person) -> list[Choice]:
    """The First Step subnets a staff member may assign people to: those they moderate."""
    marked = await store.first_step_ids(s)
    found = []
    for subnet in await subnet_store.list_subnets(s):
        if subnet.id not in marked:
            continue
        uri = ids.subnet(subnet.slug)
        try:
            await membership.require_moderator(s, ids, clinician, uri)
        except NotPermitted:
            continue
        found.append(Choice(subnet.slug, uri, subnet.name))
    return found


async def assign(
    s: AsyncSession, ids: LocalIds, *, by: Person, person_id: str, slug: str, now: datetime
) -> Person:
    """A clinician assigns a person in their care to a First Step subnet they moderate;
    audited. Returns the person."""
    if not may(by.role, Action.ADD_MEMBER):
        raise NotPermitted("Only staff can assign people to a First Step subnet.")
    person = await people.person_in_care(s, by, person_id)
    if person.role not in ASSIGNABLE:
        raise Invalid("Only patients and carers are assigned to First Step subnets.", "subnet")
    if slug not in {choice.slug for choice in await choices_for(s, ids, by)}:
        raise Invalid("Choose one of the First Step subnets you look after.", "subnet")
    await subnets.add_local_member(s, ids, slug=slug, person=person, now=now)
    await audit.record(
        s, at=now, who=ids.person(by.id), action="first_step.assigned", target=ids.person(person.id)
    )
    return person


async def lands_first(s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str) -> bool:
    """Whether opening this subnet should show What happens next first: a local First Step
    subnet the person (not staff) has never opened."""
    if person.role not in ASSIGNABLE:
        return False
    slug = ids.subnet_slug(subnet_uri)
    subnet = await subnet_store.subnet_by_slug(s, slug) if slug else None
    if subnet is None or await store.first_step(s, subnet.id) is None:
        return False
    try:
        await subnets.subnet_for_member(s, ids, person, subnet_uri, "")
    except NotFound:
        return False
    return subnet_uri not in await visit_store.visits_of(s, person.id)


async def remote_reader_to_ask(
    s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str
) -> str | None:
    """For a subnet hosted elsewhere that the person (not staff) belongs to and has never
    opened: the URI they read it under, so its home can be asked whether it is First Step."""
    if person.role not in ASSIGNABLE or ids.subnet_slug(subnet_uri) is not None:
        return None
    if subnet_uri in await visit_store.visits_of(s, person.id):
        return None
    try:
        return await library.member_uri_of(s, ids, person, subnet_uri)
    except NotFound:
        return None
