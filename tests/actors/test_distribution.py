"""The distributions behind network medians: suppressed so that no bin of 1–7 times can be
worked out (proved by brute force, with the figure's count and its median published beside
them), validated strictly when a partner sends them, and pooled into the interval the
network's median falls in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from actors.distribution import (
    EDGES,
    MedianBin,
    at_or_under,
    bin_of,
    describe,
    pooled_median,
    shown_distribution,
    valid_distribution,
)
from actors.errors import Invalid
from actors.evidence import (
    MEDIANS,
    EvidencePlan,
    Month,
    PoolAsk,
    Reply,
    ShownMonth,
    SubnetRows,
    TrustFigures,
    figures,
    pool,
    shown,
    valid_shown_month,
)
from actors.out_of_hours import OutOfHours
from actors.suppression import HIDDEN, MIN_FOR_MEDIAN, primary

NOV = Month(2026, 11)


def compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way of putting `total` times into `parts` bins."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


def publications(bins: Sequence[int]) -> list[tuple]:
    """Each way one figure can be shown: its count, its distribution and the bin its median
    lies in. Times are continuous, so what a median says of the counts is only where it lies:
    in bin j means at least half the times are at or under edge j and at most half at or under
    edge j - 1 (a table with exactly half at or under an edge can show either bin)."""
    total = sum(bins)
    cumulative = [sum(bins[: i + 1]) for i in range(len(bins) - 1)]
    if primary(total) == HIDDEN or total < MIN_FOR_MEDIAN:
        return [(primary(total), None, _tuple(shown_distribution(cumulative, total, None)))]
    at_or_under_edge = [0, *cumulative, total]
    median_bins = [
        j
        for j in range(len(bins))
        if at_or_under_edge[j] <= total // 2 and at_or_under_edge[j + 1] >= (total + 1) // 2
    ]
    return [
        (primary(total), j, _tuple(shown_distribution(cumulative, total, j))) for j in median_bins
    ]


def _tuple(cells: object) -> object:
    return cells if isinstance(cells, str) else tuple(cells)  # type: ignore[arg-type]


def _recoverable(bins_count: int, largest_total: int) -> list[tuple]:
    possible: dict[tuple, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for total in range(largest_total + 1):
        for bins in compositions(total, bins_count):
            for published in publications(bins):
                for i, n in enumerate(bins):
                    possible[published][i].add(n)
    return [
        (published, i, values)
        for published, cells in possible.items()
        for i, values in cells.items()
        if len(values) == 1 and 1 <= min(values) <= 7
    ]


@pytest.mark.parametrize(("bins", "largest_total"), [(8, 14), (4, 45)])
def test_no_bin_of_one_to_seven_times_can_be_worked_out_from_what_is_shown(
    bins: int, largest_total: int
) -> None:
    """Every distribution of up to `largest_total` times over `bins` bins (the real eight,
    and four bins to reach totals where several edges are sent and rounded)."""
    assert _recoverable(bins, largest_total) == []


def test_an_edge_is_sent_only_where_the_bins_either_side_are_zero_or_eight_or_more() -> None:
    # 10 times under 15 minutes, 3 from 1 to 4 hours, 9 over 168 hours
    cumulative = at_or_under([0.1] * 10 + [2.0] * 3 + [200.0] * 9)
    assert cumulative == [10, 10, 13, 13, 13, 13, 13]
    hidden_over_one_hour = [10, 10, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN]
    assert shown_distribution(cumulative, 22, None) == hidden_over_one_hour  # the edges alone
    assert shown_distribution(cumulative, 22, bin_of(0.5)) == hidden_over_one_hour
    assert shown_distribution([8] * 7, 8, 0) == [10] * 7  # rounded like every count
    assert shown_distribution([0] * 7, 0, None) == [0] * 7
    assert shown_distribution([3] * 7, 3, None) == HIDDEN
    # 9 from 1 to 4 hours, 3 from 4 to 8, 5 from 8 to 24; the median in the first of them
    assert shown_distribution([0, 0, 9, 12, 17, 17, 17], 17, 2) == [0, 0, 10, HIDDEN, 15, 15, 15]


def test_a_distribution_whose_median_bin_borders_a_hidden_edge_is_hidden_whole() -> None:
    # the same 22 times as above: the median (2 hours) lies between 1 hour (sent) and 4 (not)
    cumulative = at_or_under([0.1] * 10 + [2.0] * 3 + [200.0] * 9)
    assert bin_of(2.0) == 2 and bin_of(1.0) == 1 and bin_of(169.0) == 7
    assert shown_distribution(cumulative, 22, bin_of(2.0)) == HIDDEN
    assert shown_distribution([0, 0, 9, 12, 17, 17, 17], 17, 3) == HIDDEN


def test_times_on_an_edge_count_as_at_or_under_it() -> None:
    assert at_or_under([0.25, 1.0, 168.0, 168.1]) == [1, 2, 2, 2, 2, 2, 3]


@pytest.mark.parametrize(
    ("cells", "total"),
    [
        ([0, 10, 10, 10, 10, 10, 3], 10),  # a count of 1-7
        ([0, 10, 12, 15, 15, 15, 15], 15),  # not rounded
        ([0, 10, 5, 15, 15, 15, 15], 15),  # 5 is a rounded count of under 8
        ([10, 15, 10, 15, 15, 15, 15], 15),  # falling
        ([10, 15, 20, 20, 20, 20, 20], 15),  # above the total
        ([10, 10, 10, 10, 10, 10], 10),  # an edge short
        ([10, 10, 10, 10, 10, 10, True], 10),
        ([10, 10, 10, 10, 10, 10, 10.0], 10),
        ([10, 10, 10, 10, 10, 10, None], 10),
        ([HIDDEN] * 7, HIDDEN),  # a list behind a hidden count
        ("hidden", 10),
        (HIDDEN, 10),  # hidden beside a shown count
        (HIDDEN, 0),
        ({"0.25": 10}, 10),
    ],
)
def test_a_partners_distribution_must_arrive_suppressed(cells: object, total: int | str) -> None:
    with pytest.raises(ValueError):
        valid_distribution(cells, total)


def test_a_suppressed_distribution_is_accepted() -> None:
    assert valid_distribution([0, HIDDEN, 10, 10, 15, 15, 15], 15) == [
        0,
        HIDDEN,
        10,
        10,
        15,
        15,
        15,
    ]
    assert valid_distribution(HIDDEN, HIDDEN) == HIDDEN


def _month_with(values: Sequence[float]) -> ShownMonth:
    """A trust's month where each of `values` hours is a moderation decision's wait."""
    start = datetime(2026, 11, 2, 10, tzinfo=UTC)
    rows = SubnetRows(moderation=[(start, start + timedelta(hours=v)) for v in values])
    return shown(NOV, figures(rows, NOV, OutOfHours().of))


def test_a_trusts_month_carries_a_distribution_for_every_median() -> None:
    month = _month_with([0.1] * 10 + [2.0] * 12)
    assert month.distributions is not None and set(month.distributions) == set(MEDIANS)
    assert month.distributions["moderation_queue_hours"] == [10, 10, 20, 20, 20, 20, 20]
    assert month.distributions["alert_acknowledge_hours"] == [0] * 7
    assert _month_with([2.0] * 5).distributions["moderation_queue_hours"] == HIDDEN  # type: ignore[index]
    again = valid_shown_month(month.as_json())
    assert again == month
    assert month.as_json()["distributions"]["at_or_under_hours"] == list(EDGES)


def _document(**changes: object) -> dict:
    document = _month_with([0.1] * 10 + [2.0] * 12).as_json()
    document["distributions"].update(changes)
    return document


def test_a_partners_distributions_are_refused_unless_suppressed_and_on_our_edges() -> None:
    bad = [
        _document(at_or_under_hours=[1, 2, 3, 4, 5, 6, 7]),
        _document(at_or_under_hours=[0.25, True, 4, 8, 24, 72, 168]),
        _document(extra=1),
        _document(counts={"moderation_queue_hours": [10] * 7}),
        _document(counts=[]),
    ]
    unrounded = _document()
    unrounded["distributions"]["counts"]["moderation_queue_hours"] = [3] * 7
    for document in [*bad, unrounded]:
        with pytest.raises(Invalid):
            valid_shown_month(document)
    with pytest.raises(Invalid):
        valid_shown_month(_month_with([0.1] * 22).as_json() | {"distributions": None})


def test_a_partner_on_an_older_version_sends_no_distributions_and_still_pools() -> None:
    old = _month_with([2.0] * 20).as_json()
    del old["distributions"]
    month = valid_shown_month(old)
    assert month.distributions is None
    pooled = _pool(_month_with([0.1] * 10), month)
    assert pooled.network[0]["moderated"] == (30, False)  # its counts still add up
    found = pooled.medians[0]["moderation_queue_hours"]
    assert found.pooled == ["Host"] and found.none_sent == ["Old"]
    assert found.found == MedianBin(None, 0, 10)


def _pool(host: ShownMonth, *partners: ShownMonth) -> object:
    names = ["Old", "B", "C"][: len(partners)]
    plan = EvidencePlan(
        "s", "S", NOV, [NOV], TrustFigures("Host", [host]), [PoolAsk(n, n) for n in names]
    )
    return pool(plan, {n: TrustFigures(n, [m]) for n, m in zip(names, partners, strict=True)})


def test_the_network_median_is_the_bin_where_the_pooled_times_reach_half() -> None:
    # 20 times under 15 minutes at one trust, 30 from 1 to 4 hours at another: 50, half 25
    pooled = _pool(_month_with([0.1] * 20), _month_with([2.0] * 30), _month_with([2.0] * 3))
    found = pooled.medians[0]["moderation_queue_hours"]  # type: ignore[attr-defined]
    assert found.found == MedianBin(1, 2, 50)
    assert describe(found.found) == "1 to 4 hours"
    assert found.pooled == ["Host", "Old"] and found.too_few == ["B"] and found.none_sent == []
    no_values = pooled.medians[0]["alert_acknowledge_hours"]  # type: ignore[attr-defined]
    assert no_values.found is None and no_values.pooled == []


def test_an_edge_a_trust_did_not_send_widens_the_network_median() -> None:
    # one trust: 10 under 15 minutes, 3 from 1 to 4 hours, 9 over a week (edges 4 h and up *);
    # another: 10 over a week
    parts = [(20, [10, 10, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN]), (10, [0] * 7)]
    found = pooled_median(parts)  # 30, half 15: reached by 4 hours at the earliest, 168 at most
    assert found == MedianBin(1, None, 30)
    assert describe(found) == "over 1 hour"
    assert describe(MedianBin(0, 1, 10)) == "15 minutes to 1 hour"
    assert describe(MedianBin(None, 0, 10)) == "15 minutes or less"
    assert describe(MedianBin(6, None, 10)) == "over 168 hours"
    assert describe(MedianBin(2, 4, 10)) == "4 to 24 hours"


def test_too_few_pooled_times_give_no_network_median() -> None:
    assert pooled_median([]) is None
    assert MIN_FOR_MEDIAN == 8


def test_first_replies_have_distributions_too() -> None:
    posts = [
        (f"p{i}", "a", False, datetime(2026, 11, 3, 10, i, tzinfo=UTC), None) for i in range(9)
    ]
    replies = [
        Reply(f"p{i}", at + timedelta(hours=5), "b", True)
        for i, (_, _, _, at, _) in enumerate(posts)
    ]
    month = shown(NOV, figures(SubnetRows(posts=posts, replies=replies), NOV, OutOfHours().of))
    assert month.distributions is not None
    assert month.distributions["first_reply_staff_in_hours_hours"] == [0, 0, 0, 10, 10, 10, 10]
