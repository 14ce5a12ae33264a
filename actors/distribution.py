"""Coarse distributions of times, from which medians can be pooled across trusts.

A median cannot be pooled from suppressed medians, so with each median figure a trust also
sends how many of its values fall **at or under** each of the fixed `EDGES` (hours: 15 minutes,
1, 4, 8, 24, 72 and 168 hours) — cumulative counts, whose total is the figure's own count.

Suppression. The values between two neighbouring points sent (0, the edges sent, the total)
are a derived count, and a derived count of 1–7 would undo the rule that hides such counts.
So, edge by edge from the shortest, an edge is sent only when the values since the last edge
sent *and* the values above it are each 0 or at least 8; else that edge is hidden (`*`) and its
values stay merged with the next bin. Every count sent is then 0 or at least 8 and is rounded
to the nearest 5, like every count. A distribution whose total is hidden (1–7) is hidden whole.
The trust's own median is shown beside it, and saying which bin holds the median says that
about half the values lie either side of that bin's edges: were one of those edges hidden,
that and the rounded counts could pin a hidden bin down (the brute-force test found a 7 so).
So a distribution is also hidden whole when an edge of its median's bin is hidden. Then no
bin of 1–7 can be worked out: `tests/actors/test_distribution.py` enumerates every
distribution in a range, with its count and every bin its median could lie in, and shows each
bin that could be 1–7 keeps more than one possible value behind what is published.

Pooling. The host adds the trusts' cumulative counts. Where a trust did not send an edge, its
count there lies between its neighbouring counts sent, so the pooled count is known as a lower
and an upper bound. The pooled median (grouped-median convention: where the cumulative count
first reaches half the total) is then reported as an interval of edges: above the last edge
where it surely has not reached half, at or under the first where it surely has — one bin when
every trust sent every edge, wider otherwise. Counts were rounded, so the interval is as good
as the rounding allows: it is not interpolated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from actors.suppression import HIDDEN, MIN_FOR_MEDIAN, SMALLEST_SHOWN, Shown, primary

EDGES: tuple[float, ...] = (0.25, 1.0, 4.0, 8.0, 24.0, 72.0, 168.0)

# Cumulative counts at or under each edge (a rounded count, or HIDDEN where the edge is not
# sent), or HIDDEN for a whole distribution withheld.
Distribution = Sequence[Shown] | str


def at_or_under(values: Sequence[float], edges: Sequence[float] = EDGES) -> list[int]:
    """How many values are at or under each edge."""
    return [sum(1 for value in values if value <= edge) for edge in edges]


def _safe(n: int) -> bool:
    return n == 0 or n >= SMALLEST_SHOWN


def bin_of(value: float, edges: Sequence[float] = EDGES) -> int:
    """The bin a value falls in: 0 at or under the first edge, len(edges) over the last."""
    return sum(1 for edge in edges if value > edge)


def shown_distribution(
    cumulative: Sequence[int], total: int, median_bin: int | None
) -> Distribution:
    """The cumulative counts as they may be seen or leave the node (the module's rule);
    `median_bin` is where the median shown beside them lies (None when none is shown)."""
    if not _safe(total):
        return HIDDEN
    sent: list[Shown] = []
    last = 0
    for count in cumulative:
        if _safe(count - last) and _safe(total - count):
            sent.append(primary(count))
            last = count
        else:
            sent.append(HIDDEN)
    if median_bin is not None:
        around = [cell for i, cell in enumerate(sent) if i in (median_bin - 1, median_bin)]
        if HIDDEN in around:
            return HIDDEN
    return sent


def valid_distribution(value: object, total: Shown, edges: int = len(EDGES)) -> Distribution:
    """A partner's distribution as it must arrive for a figure whose shown count is `total`:
    hidden when the count is; else one cell per edge, each hidden, 0 or a multiple of 5 from
    10, not falling, none above the total. ValueError otherwise."""
    if isinstance(total, str) or value == HIDDEN:
        if value != HIDDEN or total != HIDDEN:
            raise ValueError("a distribution hidden apart from its count")
        return HIDDEN
    if not isinstance(value, list) or len(value) != edges:
        raise ValueError("a distribution that is not suppressed")
    last = 0
    for cell in value:
        if cell == HIDDEN:
            continue
        if type(cell) is not int or not (cell == 0 or (cell >= SMALLEST_SHOWN and cell % 5 == 0)):
            raise ValueError("a count in a distribution that was not suppressed")
        if not last <= cell <= total:
            raise ValueError("a distribution that does not add up")
        last = cell
    return list(value)


def _sent(distribution: Sequence[Shown]) -> list[tuple[int, int]]:
    return [(i, cell) for i, cell in enumerate(distribution) if not isinstance(cell, str)]


def bounds(distribution: Sequence[Shown], total: int) -> list[tuple[int, int]]:
    """For each edge, the least and the most its count can be, from the cells sent."""
    sent = _sent(distribution)
    found = []
    for i in range(len(distribution)):
        below = [cell for j, cell in sent if j <= i]
        above = [cell for j, cell in sent if j >= i]
        found.append((below[-1] if below else 0, above[0] if above else total))
    return found


@dataclass(frozen=True)
class MedianBin:
    """Where a pooled median lies: above edge `low` and at or under edge `high` (indexes in
    `EDGES`; None: from 0, or with no upper edge)."""

    low: int | None
    high: int | None
    total: int


def pooled_median(parts: Sequence[tuple[int, Sequence[Shown]]]) -> MedianBin | None:
    """The median of the pooled distributions (each with its shown total); None when fewer
    than `MIN_FOR_MEDIAN` values are pooled."""
    total = sum(part_total for part_total, _ in parts)
    if total < MIN_FOR_MEDIAN:
        return None
    ranges = [bounds(cells, part_total) for part_total, cells in parts]
    half = total / 2
    low = high = None
    for i in range(len(EDGES)):
        least = sum(r[i][0] for r in ranges)
        most = sum(r[i][1] for r in ranges)
        if most < half:
            low = i
        if least >= half and high is None:
            high = i
    return MedianBin(low, high, total)


def _hours(edge: float) -> str:
    if edge < 1:
        return f"{round(edge * 60)} minutes"
    return "1 hour" if edge == 1 else f"{edge:g} hours"


def describe(found: MedianBin) -> str:
    """The interval in words, e.g. "1 to 4 hours", "15 minutes or less", "over 168 hours"."""
    if found.low is None and found.high is None:
        return "too coarse to tell"
    if found.low is None:
        assert found.high is not None
        return f"{_hours(EDGES[found.high])} or less"
    if found.high is None:
        return f"over {_hours(EDGES[found.low])}"
    low, high = EDGES[found.low], EDGES[found.high]
    if low >= 1 and high >= 1:
        return f"{low:g} to {_hours(high)}"
    return f"{_hours(low)} to {_hours(high)}"
