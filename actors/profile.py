"""What a person shows others: a pseudonym and, if they like, one of the built-in avatars.

Avatars are pictures that ship with SHaRON (never uploads), so no photo of anyone is ever held.
A new pseudonym is checked as at joining, against the real name if a clinician recorded one,
screened like everything people read, and recorded as a `person.updated` event so partner nodes
can refresh their copy of the actor.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, people, screened
from actors.avatars import AVATARS
from actors.errors import Invalid, NotFound
from actors.events import EventKind
from actors.ids import LocalIds
from actors.screening import Screener
from storage import details as details_store
from storage import people as store
from storage.models import Alert, Person


async def update_profile(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person_id: str,
    pseudonym: str,
    avatar: str,
    now: datetime,
    screener: Screener,
) -> Alert | None:
    """Save the avatar, and the pseudonym unless screening flags it: then the old one stays,
    and the alert raised about the new one is returned (`actors/screened.py`). A new avatar
    is recorded as a `person.updated` event for every subnet (it shows beside every name)."""
    person = await store.person_by_id(s, person_id)
    if person is None:
        raise NotFound("There is no such account.")
    if avatar and avatar not in AVATARS:
        raise Invalid("Choose one of the pictures shown.", "avatar")
    details = await details_store.personal_details(s, person.id)
    pseudonym = people.check_pseudonym(pseudonym, real_name=details.real_name if details else None)
    if (avatar or None) != person.avatar:
        person.avatar = avatar or None
        await events.record(
            s, EventKind.PERSON_UPDATED, {"person_id": person.id, "everywhere": True}, now
        )
    if pseudonym == person.pseudonym:
        return None
    alert = await screened.screen_name(
        s, ids, screener=screener, person_id=person.id, name=pseudonym, subnet_uri="", now=now
    )
    if alert is None:
        await apply_pseudonym(s, person, pseudonym, now)
    return alert


async def apply_pseudonym(s: AsyncSession, person: Person, pseudonym: str, now: datetime) -> None:
    """Show a (checked, screened) pseudonym wherever the person has no subnet name of their own."""
    person.pseudonym = pseudonym
    await events.record(s, EventKind.PERSON_UPDATED, {"person_id": person.id}, now)
