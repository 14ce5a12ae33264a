"""The Evidence page's figures as pure functions of rows, a month and the out-of-hours calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actors.errors import Invalid
from actors.evidence import (
    EvidencePlan,
    Month,
    PoolAsk,
    Reply,
    ShownMonth,
    SubnetRows,
    TrustFigures,
    figures,
    months_to,
    pool,
    shown,
    valid_shown_month,
)
from actors.out_of_hours import OutOfHours
from actors.suppression import HIDDEN

NOV = Month(2026, 11)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "out"),
    [
        (at(30, 10), False),  # Monday, 10:00 GMT
        (at(30, 8, 59), True),  # before 09:00
        (at(30, 17), True),  # 17:00 is out of hours
        (at(28, 12), True),  # Saturday
        (at(25, 12, month=12), True),  # Christmas Day, a Friday
        (at(31, 11, month=8), True),  # Summer bank holiday (England and Wales), a Monday
        (at(1, 8, 30, month=7), False),  # 09:30 BST, a Wednesday
        (at(1, 16, 30, month=7), True),  # 17:30 BST
    ],
)
def test_out_of_hours_is_evenings_weekends_and_bank_holidays_in_uk_time(
    moment: datetime, out: bool
) -> None:
    assert OutOfHours().of(moment) is out


def test_out_of_hours_wants_an_aware_time() -> None:
    with pytest.raises(ValueError):
        OutOfHours().of(datetime(2026, 11, 30, 10))


def test_months_step_over_the_year() -> None:
    assert [str(m) for m in months_to(Month(2027, 2), 4)] == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    assert Month.parse("2026-12").next() == Month(2027, 1)


@pytest.mark.parametrize("bad", ["2026-13", "26-11", "november", "2026-11-01", "", "1999-01"])
def test_a_bad_month_is_refused_clearly(bad: str) -> None:
    with pytest.raises(Invalid):
        Month.parse(bad)


def test_invitations_activation_and_time_to_first_visit() -> None:
    rows = SubnetRows(
        invitations=[
            (at(2, 10), at(2, 12), "p1"),  # 2 h
            (at(3, 10), at(4, 10), "p2"),  # 24 h
            (at(30, 10, month=10), at(1, 10), "p3"),  # invited in October, joined in November
            (at(5, 10), None, None),  # not used yet
            (at(6, 10), at(2, 10, month=12), "p4"),  # used in December
        ],
        visits=[("p1", at(2, 12)), ("p1", at(9, 20)), ("p2", at(4, 10)), ("p3", at(1, 10))],
    )
    found = figures(rows, NOV, OutOfHours().of)
    assert found.counts["invited"] == 4
    assert found.counts["activated"] == 3
    assert sorted(found.values["invitation_to_first_visit_hours"]) == [2.0, 24.0, 48.0]
    assert found.counts["came_once"] == 2  # p2 and p3 came on one day only
    assert found.counts["active"] == 3
    assert found.counts["activity"] == 4
    assert found.counts["activity_out_of_hours"] == 2  # Sunday the 1st and 20:00 on the 9th
    assert found.counts["activity_in_hours"] == 2


def test_first_reply_by_peer_and_by_staff_in_and_out_of_hours() -> None:
    monday, evening = at(30, 10), at(30, 19)
    rows = SubnetRows(
        posts=[
            ("post-1", "p1", False, monday, None),
            ("post-2", "p1", False, evening, None),
            ("post-3", "p2", False, at(29, 10), None),  # never answered
            ("reply-own", "p1", False, monday + timedelta(minutes=5), "post-1"),
        ],
        replies=[
            Reply("post-1", monday + timedelta(minutes=5), "p1", False),  # the author's own
            Reply("post-1", monday + timedelta(hours=2), "https://b/members/x", True),
            Reply("post-1", monday + timedelta(hours=3), "p2", False),
            Reply("post-2", evening + timedelta(minutes=30), "p2", False),
        ],
    )
    found = figures(rows, NOV, OutOfHours().of)
    assert found.counts["posts"] == 4
    assert found.counts["first_replies_staff_in_hours"] == 1
    assert found.values["first_reply_staff_in_hours_hours"] == [2.0]
    assert found.counts["first_replies_peer_out_of_hours"] == 1
    assert found.values["first_reply_peer_out_of_hours_hours"] == [0.5]
    assert found.counts["first_replies_peer_in_hours"] == 0


def test_moderation_queue_and_alerts_per_month() -> None:
    rows = SubnetRows(
        moderation=[(at(2, 10), at(2, 11)), (at(30, 10, month=10), at(1, 9))],
        alerts=[(at(3, 10), at(3, 10, 15)), (at(4, 22), None), (at(1, 1, month=12), None)],
    )
    found = figures(rows, NOV, OutOfHours().of)
    assert found.counts["moderated"] == 2
    assert sorted(found.values["moderation_queue_hours"]) == [1.0, 47.0]
    assert found.counts["alerts"] == 2
    assert found.counts["alerts_acknowledged"] == 1
    assert found.values["alert_acknowledge_hours"] == [0.25]


def test_three_people_show_as_a_star() -> None:
    rows = SubnetRows(invitations=[(at(d, 10), at(d, 11), f"p{d}") for d in (2, 3, 4)])
    month = shown(NOV, figures(rows, NOV, OutOfHours().of))
    assert month.counts["activated"] == HIDDEN
    assert month.medians["invitation_to_first_visit_hours"] == HIDDEN


def _shown_month(**counts: object) -> dict:
    month = shown(NOV, figures(SubnetRows(), NOV, OutOfHours().of)).as_json()
    month["counts"].update(counts)
    return month


def test_a_partners_figures_must_arrive_suppressed() -> None:
    assert isinstance(valid_shown_month(_shown_month(invited=HIDDEN, active=15)), ShownMonth)
    for bad in (3, 12, -5, 7.5, True, "3", None):
        with pytest.raises(Invalid):
            valid_shown_month(_shown_month(invited=bad))
    with pytest.raises(Invalid):
        valid_shown_month(_shown_month(names=10))


def test_pooled_counts_add_the_trusts_shown_counts() -> None:
    own = TrustFigures("Host", [ShownMonth(**_fig(activated=10))])
    plan = EvidencePlan("s", "S", NOV, [NOV], own, [PoolAsk("b", "B"), PoolAsk("c", "C")])
    answers = {"b": TrustFigures("B", [ShownMonth(**_fig(activated=HIDDEN))]), "c": None}
    pooled = pool(plan, answers)
    assert [t.trust for t in pooled.trusts] == ["Host", "B"]
    assert pooled.unanswered == ["C"]
    assert pooled.network[0]["activated"] == (10, True)


def _fig(**counts: object) -> dict:
    month = _shown_month(**counts)
    return {"month": month["month"], "counts": month["counts"], "medians": month["medians"]}
