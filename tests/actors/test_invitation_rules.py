"""Invitations as `actors/` operations, with a clock of the test's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from actors import invitations, people, subnets
from actors.errors import Invalid, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.screening.rules import RuleScreener
from storage.engine import Database
from storage.models import Person

HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
IDS = LocalIds("https://berks.example")
T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
GOOD = "kettle orbit lantern"


async def _clinician(database: Database) -> Person:
    async with database.transaction() as s:
        clinician = await people.add_person(
            s, HASHER, username="dr-ahmed", role="clinician", password=GOOD, now=T0
        )
        await subnets.create_subnet(s, slug="carers", name="Carers", now=T0)
        await subnets.add_local_member(s, IDS, slug="carers", person=clinician, now=T0)
    return clinician


async def _invite(database: Database, clinician: Person) -> invitations.NewInvitation:
    async with database.transaction() as s:
        return await invitations.create_invitation(
            s, IDS, inviter=clinician, role="patient", subnet_slugs=["carers"], now=T0
        )


async def _open(database: Database, at: datetime, *, token: str = "", code: str = "") -> None:
    async with database.transaction() as s:
        await invitations.open_invitation(s, token=token, code=code, address="10.0.0.1", now=at)


async def test_an_invitation_expires_after_seven_days(database: Database) -> None:
    new = await _invite(database, await _clinician(database))
    await _open(database, T0 + timedelta(days=6, hours=23), token=new.token)
    with pytest.raises(Invalid, match="expired"):
        await _open(database, T0 + timedelta(days=7), token=new.token)


async def test_only_hashes_of_the_link_and_code_are_stored(database: Database) -> None:
    new = await _invite(database, await _clinician(database))
    assert len(new.code) == 8 and set(new.code) <= set(invitations.CODE_ALPHABET)
    assert not set("IL01O") & set(new.code)
    assert new.invitation.token_hash != new.token and new.token not in new.invitation.token_hash
    assert new.code not in new.invitation.code_hash
    await _open(database, T0, code=invitations.show_code(new.code).lower())


async def test_an_invitation_works_once(database: Database) -> None:
    new = await _invite(database, await _clinician(database))
    async with database.transaction() as s:
        invitation = await invitations.open_invitation(
            s, token=new.token, address="10.0.0.1", now=T0
        )
        await invitations.accept_invitation(
            s,
            IDS,
            HASHER,
            invitation=invitation,
            username="river",
            pseudonym="Willow",
            password=GOOD,
            now=T0,
            screener=RuleScreener(),
        )
    with pytest.raises(Invalid, match="already been used"):
        await _open(database, T0, token=new.token)


async def test_a_clinician_may_not_invite_into_a_subnet_they_are_not_in(database: Database) -> None:
    clinician = await _clinician(database)
    async with database.transaction() as s:
        await subnets.create_subnet(s, slug="veterans", name="Veterans", now=T0)
    with pytest.raises(NotPermitted):
        async with database.transaction() as s:
            await invitations.create_invitation(
                s, IDS, inviter=clinician, role="carer", subnet_slugs=["veterans"], now=T0
            )


async def test_only_its_maker_or_an_admin_may_revoke_an_invitation(database: Database) -> None:
    clinician = await _clinician(database)
    new = await _invite(database, clinician)
    async with database.transaction() as s:
        colleague = await people.add_person(
            s, HASHER, username="nurse-kim", role="clinician", password=GOOD, now=T0
        )
        admin = await people.add_person(
            s, HASHER, username="admin-berks", role="admin", password=GOOD, now=T0
        )
    with pytest.raises(NotFound):
        async with database.transaction() as s:
            await invitations.revoke_invitation(
                s, IDS, by=colleague, invitation_id=new.invitation.id, now=T0
            )
    async with database.transaction() as s:
        await invitations.revoke_invitation(
            s, IDS, by=admin, invitation_id=new.invitation.id, now=T0
        )
    with pytest.raises(Invalid, match="withdrawn"):
        await _open(database, T0, token=new.token)
