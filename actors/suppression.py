"""Small-number suppression: what a count may look like before anyone sees it or it leaves.

The NHS secondary-care rule: a count of 1–7 is shown as `*`, 0 as 0, and every other count
rounded to the nearest 5 (8 → 10, 12 → 10, 13 → 15). Then *secondary* suppression, where
figures add up (parts and their total, `Group`):

* a total with a hidden part is hidden too — else the total's rounding interval, less the
  shown parts, bounds the hidden parts' sum, and four hidden parts of at most 7 under a total
  of 28 or more must each be 7 (found by the brute-force test of survey answers);
* a group with exactly one hidden member would let a reader take it from the others, so the
  smallest other non-zero member is hidden as well,

until neither applies. A hidden cell looks the same (`*`) whichever rule hid it. Shares are
worked out from the shown (rounded) counts, never from the true ones, so they say nothing the
counts do not; a median needs at least `MIN_FOR_MEDIAN` values.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

HIDDEN = "*"
SMALLEST_SHOWN = 8
ROUND_TO = 5
MIN_FOR_MEDIAN = 8

Shown = int | str  # a rounded count, or HIDDEN


@dataclass(frozen=True)
class Group:
    """Counts that add up: `total` is the sum of `parts` (names of cells)."""

    total: str
    parts: tuple[str, ...]

    @property
    def members(self) -> tuple[str, ...]:
        return (self.total, *self.parts)


def round_count(n: int) -> int:
    """To the nearest 5, halves up (the rule's 8 → 10); only for counts of 8 and more."""
    return ((n + ROUND_TO // 2) // ROUND_TO) * ROUND_TO


def primary(n: int) -> Shown:
    if n < 0:
        raise ValueError("a count cannot be negative")
    if n == 0:
        return 0
    return HIDDEN if n < SMALLEST_SHOWN else round_count(n)


def suppress(counts: Mapping[str, int], groups: Iterable[Group] = ()) -> dict[str, Shown]:
    """Every count as it may be shown, primary and secondary suppression applied."""
    shown: dict[str, Shown] = {name: primary(n) for name, n in counts.items()}
    groups = list(groups)
    changed = True
    while changed:
        changed = False
        for group in groups:
            if shown[group.total] != HIDDEN and any(shown[p] == HIDDEN for p in group.parts):
                shown[group.total] = HIDDEN
                changed = True
            hidden = [m for m in group.members if shown[m] == HIDDEN]
            if len(hidden) != 1:
                continue
            others = [m for m in group.members if shown[m] != HIDDEN and counts[m] > 0]
            if not others:
                continue
            # Prefer hiding a part to hiding the total; among parts, the smallest.
            victim = min(others, key=lambda m: (m == group.total, counts[m], m))
            shown[victim] = HIDDEN
            changed = True
    return shown


def share(numerator: Shown, denominator: Shown) -> float | None:
    """numerator / denominator from shown counts; None when either is hidden or it is 0/0."""
    if isinstance(numerator, str) or isinstance(denominator, str) or denominator == 0:
        return None
    return numerator / denominator


def median(values: Sequence[float]) -> float | None:
    """The median, or None when there are too few values to show one safely."""
    if len(values) < MIN_FOR_MEDIAN:
        return None
    return statistics.median(values)


def add_shown(values: Iterable[Shown]) -> tuple[int, bool]:
    """The sum of shown counts and whether any was hidden (then the sum is a lower bound)."""
    total, partial = 0, False
    for value in values:
        if isinstance(value, str):
            partial = True
        else:
            total += value
    return total, partial
