"""Personal details (real name, contact, NHS number): recorded by clinicians, read by staff here.

They live in `personal_details`, apart from the account, and nothing in `federation/` reads
that table, so they never leave the node. Every read and change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import people
from actors.errors import Invalid, NotPermitted
from actors.ids import LocalIds
from actors.policy import Action, may
from storage import audit
from storage import details as store
from storage.models import Person, PersonalDetails

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")


@dataclass(frozen=True)
class Details:
    real_name: str = ""
    email: str = ""
    phone: str = ""
    nhs_number: str = ""


def valid_nhs_number(value: str) -> bool:
    """Ten digits whose last is the modulus-11 check digit of the first nine."""
    if not re.fullmatch(r"\d{10}", value):
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(value[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(value[9])


def checked(details: Details) -> Details:
    """Tidied details, or `Invalid` naming the field to fix."""
    real_name = " ".join(details.real_name.split())
    email = details.email.strip()
    phone = " ".join(details.phone.split())
    nhs_number = re.sub(r"[\s-]", "", details.nhs_number)
    if len(real_name) > 200:
        raise Invalid("A real name can be at most 200 characters long.", "real_name")
    if email and (len(email) > 200 or not EMAIL.match(email)):
        raise Invalid("Enter an email address like name@example.com.", "email")
    if phone and not PHONE.match(phone):
        raise Invalid("Enter a phone number, like 01632 960 001 or +44 7700 900 982.", "phone")
    if nhs_number and not valid_nhs_number(nhs_number):
        raise Invalid("Enter a valid 10-digit NHS number, like 943 476 5919.", "nhs_number")
    return Details(real_name, email, phone, nhs_number)


async def read_details(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, person_id: str, now: datetime
) -> Details:
    person = await people.person_in_care(s, viewer, person_id)
    row = await store.personal_details(s, person.id)
    await audit.record(
        s,
        at=now,
        who=ids.person(viewer.id),
        action="personal_details.read",
        target=ids.person(person.id),
    )
    if row is None:
        return Details()
    return Details(row.real_name or "", row.email or "", row.phone or "", row.nhs_number or "")


async def record_details(
    s: AsyncSession, ids: LocalIds, *, by: Person, person_id: str, details: Details, now: datetime
) -> None:
    if not may(by.role, Action.RECORD_PERSONAL_DETAILS):
        raise NotPermitted("Only clinicians record personal details.")
    person = await people.person_in_care(s, by, person_id)
    tidy = checked(details)
    await store.set_personal_details(
        s,
        PersonalDetails(
            person_id=person.id,
            real_name=tidy.real_name or None,
            email=tidy.email or None,
            phone=tidy.phone or None,
            nhs_number=tidy.nhs_number or None,
        ),
    )
    await audit.record(
        s,
        at=now,
        who=ids.person(by.id),
        action="personal_details.recorded",
        target=ids.person(person.id),
    )
