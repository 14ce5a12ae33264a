"""Personal details are checked field by field, and every problem is named at once."""

from __future__ import annotations

import pytest

from actors.details import Details, checked, uk_phone
from actors.errors import Invalids


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("020 7946 0000", "020 7946 0000"),
        ("+44 20 7946 0000", "020 7946 0000"),
        ("01632 960 001", "01632 960001"),
        ("07700 900982", "07700 900982"),
        ("+33 1 42 68 53 00", "+33 1 42 68 53 00"),
    ],
)
def test_uk_phone_numbers_are_kept_in_the_usual_form(given: str, kept: str) -> None:
    assert uk_phone(given) == kept


@pytest.mark.parametrize("given", ["0770090098", "07700 9009821", "020 7946 000", "phone me", "1"])
def test_a_digit_short_or_over_is_not_a_phone_number(given: str) -> None:
    assert uk_phone(given) is None


def test_every_wrong_field_is_named_at_once() -> None:
    with pytest.raises(Invalids) as raised:
        checked(Details("River", "river@", "0770090098", "943 476 5918"))
    assert [problem.field for problem in raised.value.problems] == [
        "email",
        "phone",
        "nhs_number",
    ]


def test_good_details_are_tidied() -> None:
    tidy = checked(Details("River", "River@Example.COM", "+44 7700 900 982", "943-476-5919"))
    assert tidy == Details("River", "River@example.com", "07700 900982", "9434765919")
