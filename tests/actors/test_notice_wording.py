"""What a notice says, for each kind: `actors.notices.describe` is a pure function."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actors.gdpr import reads_by_day
from actors.notices import NoticeKind, describe

UNTIL = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "actor", "count", "until", "said"),
    [
        (NoticeKind.REPLY, "Jo", 1, None, "Jo replied to your post in Carers."),
        (NoticeKind.REPLY, None, 1, None, "Someone replied to your post in Carers."),
        (NoticeKind.LIKE, "Jo", 1, None, "Jo liked your post in Carers."),
        (NoticeKind.LIKE, "Jo", 2, None, "Jo and 1 other liked your post in Carers."),
        (NoticeKind.LIKE, "Jo", 4, None, "Jo and 3 others liked your post in Carers."),
        (
            NoticeKind.POST_HELD,
            None,
            1,
            None,
            "Your post in Carers is waiting for a moderator to approve it.",
        ),
        (NoticeKind.POST_APPROVED, None, 1, None, "A moderator approved your post in Carers."),
        (
            NoticeKind.POST_REJECTED,
            None,
            1,
            None,
            "A moderator did not approve your post in Carers.",
        ),
        (NoticeKind.POST_REMOVED, None, 1, None, "A moderator removed your post from Carers."),
        (NoticeKind.WARNED, None, 1, None, "A moderator of Carers sent you a warning."),
        (NoticeKind.SUSPENDED, None, 1, None, "You cannot post in Carers for now."),
        (
            NoticeKind.SUSPENSION_LIFTED,
            None,
            1,
            None,
            "You can post in Carers again: a moderator lifted your suspension.",
        ),
        (NoticeKind.MEMBER_REMOVED, None, 1, None, "A moderator removed you from Carers."),
        (
            NoticeKind.SUSPENDED,
            None,
            1,
            UNTIL,
            "You cannot post in Carers until 01 Dec 2026 09:30 UTC.",
        ),
        (
            NoticeKind.JOIN_APPROVED,
            None,
            1,
            None,
            "You have joined Carers: a moderator approved it.",
        ),
        (NoticeKind.JOIN_REQUESTED, "Alex", 1, None, "Alex asked to join Carers."),
        (
            NoticeKind.SUBNET_SHARED,
            "Bucks",
            1,
            None,
            "Carers is now shared with Bucks: its members there can read posts in it.",
        ),
        (NoticeKind.SUBNET_UNSHARED, "Bucks", 1, None, "Carers is no longer shared with Bucks."),
        (NoticeKind.SUBNET_UNSHARED, None, 1, None, "Carers is no longer shared with this trust."),
        (
            NoticeKind.REPORT_ACTED,
            None,
            1,
            None,
            "A post you reported in Carers is no longer there. Thank you for telling us.",
        ),
    ],
)
def test_each_kind_of_notice_says_what_happened(
    kind: NoticeKind, actor: str | None, count: int, until: datetime | None, said: str
) -> None:
    assert describe(kind, actor=actor, subnet="Carers", count=count, until=until) == said


def test_every_kind_has_words() -> None:
    for kind in NoticeKind:
        assert describe(kind, actor="Jo", subnet="Carers", until=None).endswith(".")


def test_partner_reads_are_counted_per_post_trust_and_day_newest_day_first() -> None:
    day1 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    day2 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    later = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    rows = reads_by_day(
        [
            ("p1", "Bucks", day1),
            ("p1", "Bucks", day2),
            ("p1", "Bucks", later),
            ("p1", "Oxford", day2),
        ],
        {"p1": (day1, "Carers")},
    )
    assert [(r["day"], r["trust"], r["times"], r["last_at"][11:16]) for r in rows] == [
        ("2026-11-30", "Oxford", 1, "08:00"),
        ("2026-11-30", "Bucks", 2, "09:15"),
        ("2026-11-29", "Bucks", 1, "10:00"),
    ]
