"""Response times: the pure figures (median and 90th percentile in hours, in and out of hours,
England and Wales bank holidays) over (raised, first action) pairs, with fixed times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from actors.response_times import (
    Item,
    bank_holidays,
    figures,
    format_row,
    in_hours,
    summarise,
)

HOLIDAYS = bank_holidays()
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 10:00 GMT
CARERS, VETERANS = "https://a.example/subnets/carers", "https://a.example/subnets/veterans"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (MONDAY_10AM, True),
        (datetime(2026, 11, 23, 8, 59, tzinfo=UTC), False),  # before 09:00
        (datetime(2026, 11, 23, 17, 0, tzinfo=UTC), False),  # 17:00 is out of hours
        (datetime(2026, 11, 28, 11, 0, tzinfo=UTC), False),  # a Saturday
        (datetime(2026, 12, 25, 11, 0, tzinfo=UTC), False),  # Christmas Day, a Friday
        (datetime(2026, 12, 28, 11, 0, tzinfo=UTC), False),  # Boxing Day substitute, Monday
        (datetime(2026, 8, 31, 11, 0, tzinfo=UTC), False),  # summer bank holiday (E&W)
        (datetime(2026, 8, 3, 11, 0, tzinfo=UTC), True),  # Scotland's, not England's
        (datetime(2026, 6, 1, 7, 30, tzinfo=UTC), False),  # 08:30 BST
        (datetime(2026, 6, 1, 15, 30, tzinfo=UTC), True),  # 16:30 BST
        (datetime(2026, 6, 1, 16, 30, tzinfo=UTC), False),  # 17:30 BST
    ],
)
def test_in_hours_is_a_working_weekday_from_nine_to_five_uk_time(
    moment: datetime, expected: bool
) -> None:
    assert in_hours(moment, HOLIDAYS) is expected


def test_bank_holidays_come_from_the_holidays_library_for_any_year() -> None:
    assert HOLIDAYS(date(2031, 12, 25)) and HOLIDAYS(date(2031, 5, 5))
    assert not HOLIDAYS(date(2031, 3, 17))  # St Patrick's Day: Northern Ireland only


def test_median_and_90th_percentile_in_hours() -> None:
    assert figures([]) == figures([], 0)
    assert figures([], waiting=2).waiting == 2 and figures([]).median_hours is None
    one = figures([3.0])
    assert (one.answered, one.median_hours, one.p90_hours) == (1, 3.0, 3.0)
    ten = figures([float(n) for n in range(1, 11)])
    assert ten.median_hours == 5.5
    assert ten.p90_hours == pytest.approx(9.1)


def test_items_split_by_when_raised_and_still_waiting_counted_apart() -> None:
    saturday = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    items = [
        Item(CARERS, MONDAY_10AM, MONDAY_10AM + timedelta(hours=1)),
        Item(CARERS, MONDAY_10AM, MONDAY_10AM + timedelta(hours=3)),
        Item(CARERS, MONDAY_10AM, None),
        Item(CARERS, saturday, saturday + timedelta(hours=36)),
        Item(VETERANS, saturday, None),
    ]
    carers, veterans = summarise(items, HOLIDAYS, {CARERS: "Carers", VETERANS: "Veterans"})
    assert carers.name == "Carers" and veterans.name == "Veterans"
    assert (carers.in_hours.answered, carers.in_hours.waiting) == (2, 1)
    assert carers.in_hours.median_hours == 2.0
    assert carers.in_hours.p90_hours == pytest.approx(2.8)
    assert carers.out_of_hours.median_hours == 36.0
    assert veterans.out_of_hours.waiting == 1 and veterans.out_of_hours.median_hours is None
    assert veterans.in_hours.answered == 0
    line = format_row(carers)
    assert line.startswith("Carers\tin hours: answered=2 median_h=2.0 p90_h=2.8 waiting=1")
    assert "out of hours: answered=1 median_h=36.0" in line


def test_reports_plug_in_as_pairs_of_times() -> None:
    raised = MONDAY_10AM
    pairs = [(raised, raised + timedelta(minutes=30)), (raised, raised + timedelta(hours=2))]
    (row,) = summarise((Item(CARERS, *pair) for pair in pairs), HOLIDAYS)
    assert row.name == CARERS and row.in_hours.median_hours == 1.25
