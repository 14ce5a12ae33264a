"""What a person shows others: a pseudonym and, if they like, one of the built-in avatars.

Avatars are pictures that ship with SHaRON (never uploads), so no photo of anyone is ever held.
A new pseudonym is checked as at joining, against the real name if a clinician recorded one,
and recorded as a `person.updated` event so partner nodes can refresh their copy of the actor.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import people
from actors.errors import Invalid, NotFound
from storage import details as details_store
from storage import people as store
from storage import queues
from storage.models import Person

AVATARS = ("leaf", "wave", "sun", "mountain", "star", "boat")


async def update_profile(
    s: AsyncSession, *, person_id: str, pseudonym: str, avatar: str, now: datetime
) -> Person:
    person = await store.person_by_id(s, person_id)
    if person is None:
        raise NotFound("There is no such account.")
    if avatar and avatar not in AVATARS:
        raise Invalid("Choose one of the pictures shown.", "avatar")
    details = await details_store.personal_details(s, person.id)
    pseudonym = people.check_pseudonym(pseudonym, real_name=details.real_name if details else None)
    changed = pseudonym != person.pseudonym
    person.pseudonym, person.avatar = pseudonym, avatar or None
    if changed:
        await queues.add_event(s, "person.updated", {"person_id": person.id}, now)
    return person
