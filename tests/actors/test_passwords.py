"""The password rule and the sign-in throttle, through `actors/` on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from actors import people, throttle
from actors.errors import Invalid
from actors.passwords import check_password, common_passwords
from storage.engine import Database

HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
GOOD = "kettle orbit lantern"


def test_the_bundled_common_list_is_large_and_lower_case() -> None:
    common = common_passwords()
    assert len(common) >= 9000
    assert {"password", "123456", "qwerty", "iloveyou"} <= common


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 10 characters"),
        ("password1234", "too easy to guess"),
        ("Dragon2024!!", "too easy to guess"),
        ("1234567890", "too easy to guess"),
        ("!!!!!!!!!!!!", "too easy to guess"),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("riverside-walks", "must not contain your username"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        check_password(password, not_containing=("riverside", "River"))


def test_a_long_uncommon_passphrase_is_accepted() -> None:
    assert check_password(GOOD, not_containing=("sam", "Sam")) is None  # no Invalid raised


async def _sign_in(db: Database, password: str, now: datetime, address: str = "10.0.0.1") -> bool:
    async with db.transaction() as s:
        person = await people.sign_in(
            s, HASHER, username="sam", password=password, address=address, now=now
        )
    return person is not None


async def test_five_failures_lock_the_account_for_fifteen_minutes(database: Database) -> None:
    async with database.transaction() as s:
        await people.add_person(s, HASHER, username="sam", role="carer", password=GOOD, now=T0)
    for minute in range(5):
        assert not await _sign_in(database, "wrong password!", T0 + timedelta(minutes=minute))
    with pytest.raises(throttle.Throttled, match="Wait 14 minutes"):
        await _sign_in(database, GOOD, T0 + timedelta(minutes=5), address="10.9.9.9")
    assert await _sign_in(database, GOOD, T0 + timedelta(minutes=20))


async def test_failures_spread_beyond_the_window_do_not_lock(database: Database) -> None:
    async with database.transaction() as s:
        await people.add_person(s, HASHER, username="sam", role="carer", password=GOOD, now=T0)
    for step in range(8):
        assert not await _sign_in(database, "wrong password!", T0 + timedelta(minutes=step * 4))
        if step % 3 == 2:
            assert await _sign_in(database, GOOD, T0 + timedelta(minutes=step * 4, seconds=1))


async def test_one_address_guessing_many_accounts_is_locked_out(database: Database) -> None:
    async with database.transaction() as s:
        await people.add_person(s, HASHER, username="sam", role="carer", password=GOOD, now=T0)
    for attempt in range(throttle.ADDRESS.failures):
        async with database.transaction() as s:
            await people.sign_in(
                s, HASHER, username=f"guess{attempt}", password="x" * 12, address="10.6.6.6", now=T0
            )
    with pytest.raises(throttle.Throttled):
        await _sign_in(database, GOOD, T0, address="10.6.6.6")
    assert await _sign_in(database, GOOD, T0, address="10.0.0.2")


async def test_throttle_rows_hold_no_username_or_address(database: Database) -> None:
    async with database.transaction() as s:
        await people.add_person(s, HASHER, username="sam", role="carer", password=GOOD, now=T0)
    assert not await _sign_in(database, "wrong password!", T0, address="192.0.2.44")
    async with database.transaction() as s:
        rows = await throttle.store.throttles(
            s, [throttle.account_key("sam"), throttle.address_key("192.0.2.44")]
        )
    assert len(rows) == 2
    assert all("sam" not in row.key and "192.0.2" not in row.key for row in rows)


async def test_a_staff_session_waiting_for_its_code_lapses_after_ten_minutes(
    database: Database,
) -> None:
    async with database.transaction() as s:
        clinician = await people.add_person(
            s, HASHER, username="dr-ahmed", role="clinician", password=GOOD, now=T0
        )
        session = await people.start_session(s, clinician, T0)
    assert not session.verified
    async with database.transaction() as s:
        assert await people.session_for(s, session.token, T0 + timedelta(minutes=9))
    async with database.transaction() as s:
        assert await people.session_for(s, session.token, T0 + timedelta(minutes=11)) is None
