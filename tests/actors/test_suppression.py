"""Small-number suppression, proved by brute force: for every true table in a range, whatever
is shown (counts, totals, shares, medians) leaves each hidden count with more than one
possible value."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from itertools import product

import pytest

from actors.evidence import COUNTS, GROUPS, MEDIANS, Month, MonthFigures, shares, shown
from actors.suppression import HIDDEN, Group, add_shown, primary, round_count, suppress

RANGE = range(0, 31)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, 0),
        (1, "*"),
        (3, "*"),
        (7, "*"),
        (8, 10),
        (9, 10),
        (10, 10),
        (12, 10),
        (13, 15),
        (17, 15),
        (18, 20),
        (102, 100),
        (103, 105),
    ],
)
def test_counts_of_one_to_seven_are_hidden_and_others_rounded_to_five(
    count: int, expected: int | str
) -> None:
    assert primary(count) == expected


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        primary(-1)


def test_rounding_is_to_the_nearest_five_halves_up() -> None:
    assert [round_count(n) for n in (22, 23, 27, 28)] == [20, 25, 25, 30]


def test_a_hidden_part_hides_its_total() -> None:
    group = Group("all", ("a", "b", "c"))
    got = suppress({"all": 123, "a": 3, "b": 20, "c": 100}, [group])
    assert got == {"all": HIDDEN, "a": HIDDEN, "b": 20, "c": 100}


def test_four_hidden_sevens_do_not_show_their_total_of_28() -> None:
    group = Group("total", ("a1", "a2", "a3", "a4", "a5"))
    got = suppress({"total": 28, "a1": 0, "a2": 7, "a3": 7, "a4": 7, "a5": 7}, [group])
    assert got["total"] == HIDDEN


def test_a_hidden_part_beside_zeros_hides_the_total_too() -> None:
    got = suppress({"all": 3, "a": 3, "b": 0}, [Group("all", ("a", "b"))])
    assert got == {"all": HIDDEN, "a": HIDDEN, "b": 0}


def _possible_values(
    publish: Callable[[Mapping[str, int]], object], cells: tuple[str, ...], tables
) -> dict[object, dict[str, set[int]]]:
    """For each distinct publication, the values each cell could have had behind it."""
    seen: dict[object, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for table in tables:
        publication = publish(table)
        for cell in cells:
            seen[publication][cell].add(table[cell])
    return seen


def _month(counts: Mapping[str, int]) -> MonthFigures:
    full = dict.fromkeys(COUNTS, 0) | dict(counts)
    return MonthFigures(full, {name: [1.0] * full[count] for name, count in MEDIANS.items()})


def _publication(counts: Mapping[str, int]) -> tuple:
    """Everything the page and the export show for one month: counts, shares and medians."""
    month = shown(Month(2026, 11), _month(counts))
    figures = shares(month.counts)
    return (
        tuple(sorted(month.counts.items())),
        tuple(sorted(month.medians.items())),
        tuple(sorted(figures.items())),
    )


def test_no_hidden_activity_count_can_be_worked_out_from_its_total_and_share() -> None:
    tables = [
        {"activity": a + b, "activity_in_hours": a, "activity_out_of_hours": b}
        for a, b in product(RANGE, RANGE)
    ]
    cells = ("activity", "activity_in_hours", "activity_out_of_hours")
    for publication, possible in _possible_values(_publication, cells, tables).items():
        counts = dict(publication[0])
        for cell in cells:
            if counts[cell] == HIDDEN:
                assert len(possible[cell]) > 1, (cell, publication)


def test_no_hidden_count_of_people_who_came_once_can_be_worked_out() -> None:
    tables = [
        {"activated": a, "came_once": c, "invited": i}
        for a in RANGE
        for c in range(a + 1)
        for i in RANGE
    ]
    cells = ("activated", "came_once", "invited")
    for publication, possible in _possible_values(_publication, cells, tables).items():
        counts = dict(publication[0])
        for cell in cells:
            if counts[cell] == HIDDEN:
                assert len(possible[cell]) > 1, (cell, publication)


def test_every_shown_count_is_zero_or_a_multiple_of_five_from_ten() -> None:
    for a, b in product(RANGE, RANGE):
        month = shown(
            Month(2026, 11),
            _month({"activity": a + b, "activity_in_hours": a, "activity_out_of_hours": b}),
        )
        for value in month.counts.values():
            assert value == HIDDEN or value == 0 or (value >= 10 and value % 5 == 0)


def test_a_median_needs_eight_values_and_a_shown_count() -> None:
    few = shown(Month(2026, 11), _month({"activated": 7}))
    enough = shown(Month(2026, 11), _month({"activated": 8}))
    assert few.medians["invitation_to_first_visit_hours"] == HIDDEN
    assert enough.medians["invitation_to_first_visit_hours"] == 1.0


def test_shares_come_from_shown_counts_only() -> None:
    month = shown(Month(2026, 11), _month({"activated": 22, "came_once": 11}))
    assert month.counts["activated"] == 20 and month.counts["came_once"] == 10
    assert shares(month.counts)["came_once_share"] == 0.5
    hidden = shown(Month(2026, 11), _month({"activated": 22, "came_once": 3}))
    assert shares(hidden.counts)["came_once_share"] is None


def test_network_sums_use_shown_counts_and_say_when_a_part_was_hidden() -> None:
    assert add_shown([10, HIDDEN, 25]) == (35, True)
    assert add_shown([10, 0, 25]) == (35, False)


def test_groups_cover_only_counts_that_exist() -> None:
    for group in GROUPS:
        assert set(group.members) <= set(COUNTS)


def test_no_hidden_survey_count_can_be_worked_out_from_the_questions_total() -> None:
    """A question's five answer counts and their total (actors/survey.py), every table with
    counts of 0–9 enumerated."""
    parts = tuple(f"a{i}" for i in range(1, 6))
    group = Group("total", parts)

    def publish(table: Mapping[str, int]) -> tuple:
        return tuple(sorted(suppress(table, [group]).items()))

    tables = [
        dict(zip(parts, values, strict=True)) | {"total": sum(values)}
        for values in product(range(10), repeat=5)
    ]
    for publication, possible in _possible_values(publish, (*parts, "total"), tables).items():
        for cell, value in publication:
            if value == HIDDEN:
                assert len(possible[cell]) > 1, (cell, publication)
