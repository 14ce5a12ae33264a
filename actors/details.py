"""Personal details (real name, contact, NHS number): recorded by clinicians, read by staff here.

They live in `personal_details`, apart from the account, and nothing in `federation/` reads
that table, so they never leave the node. Every read and change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession

from actors import people
from actors.errors import Invalid, Invalids, NotPermitted
from actors.ids import LocalIds
from actors.policy import Action, may
from actors.text import line_text
from storage import audit
from storage import details as store
from storage.models import Person, PersonalDetails

NATIONAL = phonenumbers.PhoneNumberFormat.NATIONAL
INTERNATIONAL = phonenumbers.PhoneNumberFormat.INTERNATIONAL
DRAMA = re.compile(r"1632960\d{3}|7700900\d{3}")  # Ofcom: numbers for drama (and tests)


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


def uk_phone(value: str) -> str | None:
    """A UK number (or one with its +country code), written the usual way; None if not valid.

    Google's libphonenumber knows each range's length, so a digit short or over is refused.
    Ofcom's ranges kept for drama and training (01632 960xxx, 07700 900xxx) are accepted too."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    drama = number.country_code == 44 and DRAMA.fullmatch(national) is not None
    if not drama and not phonenumbers.is_valid_number(number):
        return None
    style = NATIONAL if number.country_code == 44 else INTERNATIONAL
    return phonenumbers.format_number(number, style)


def email_address(value: str) -> str | None:
    """The address normalised (domain lower-cased) if its syntax is valid; no DNS look-up."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def checked(details: Details) -> Details:
    """Tidied details, or `Invalids` naming every field to fix."""
    problems: list[Invalid] = []
    real_name = email = ""
    try:
        real_name = line_text(details.real_name, "The real name", "real_name")
    except Invalid as problem:
        problems.append(problem)
    try:
        email = line_text(details.email, "The email address", "email")
    except Invalid as problem:
        problems.append(problem)
    phone = " ".join(details.phone.split())
    nhs_number = re.sub(r"[\s-]", "", details.nhs_number)
    if len(real_name) > 200:
        problems.append(Invalid("A real name can be at most 200 characters long.", "real_name"))
    if email:
        email = (email_address(email) if len(email) <= 200 else None) or ""
        if not email:
            problems.append(Invalid("Enter an email address like name@example.com.", "email"))
    if phone:
        phone = uk_phone(phone) or ""
        if not phone:
            problems.append(
                Invalid("Enter a UK phone number, like 01632 960 001 or 07700 900 982.", "phone")
            )
    if nhs_number and not valid_nhs_number(nhs_number):
        problems.append(
            Invalid("Enter a valid 10-digit NHS number, like 943 476 5919.", "nhs_number")
        )
    if problems:
        raise Invalids(problems)
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
