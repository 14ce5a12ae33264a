"""How long people wait for a moderator: from a held post, a report or an alert being raised to
the first moderator action on it, per subnet, in hours.

Each item is a pair (raised_at, first_action_at) for a subnet; `first_action_at` is None while
it still waits. Items are split by when they were raised: in hours (Monday to Friday,
09:00–17:00 UK time, not an England and Wales bank holiday, as the `holidays` library knows
them) or out of hours, because a trust staffs the two differently. For each part: how many
were answered, the median and the 90th percentile of their waits; and how many still wait.

Sources: posts held for pre-moderation (raised when published, answered when first approved
or refused, from the audit log), alerts (raised when created, answered when first
acknowledged or resolved). Reports plug in the same way: `summarise` takes any `Item`s.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import NotPermitted
from actors.ids import LocalIds
from actors.policy import Action, may
from storage import response_times as store
from storage.models import Person

UK = ZoneInfo("Europe/London")
WORKDAY = (time(9), time(17))
HELD_POST_ANSWERS = ("post.approved", "post.refused")
"""Audit actions that answer a held post (a moderator's first action on it)."""

IsHoliday = Callable[[date], bool]
OUTSIDE_SUBNETS = "Not in a subnet (names people chose, private messages)"
"""How alerts raised about something outside any one subnet are listed."""


def bank_holidays() -> IsHoliday:
    """England and Wales bank holidays, every year (the library fills years as asked)."""
    calendar = holidays.country_holidays("GB", subdiv="ENG")
    return lambda day: day in calendar


def in_hours(moment: datetime, is_holiday: IsHoliday) -> bool:
    """Whether `moment` falls on a working weekday between 09:00 and 17:00 in the UK."""
    local = moment.astimezone(UK)
    start, end = WORKDAY
    return local.weekday() < 5 and not is_holiday(local.date()) and start <= local.time() < end


@dataclass(frozen=True)
class Item:
    subnet_uri: str
    raised_at: datetime
    first_action_at: datetime | None


@dataclass(frozen=True)
class Figures:
    """Waits of the answered items, in hours (None when there were none)."""

    answered: int
    waiting: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class SubnetTimes:
    subnet_uri: str
    name: str
    in_hours: Figures
    out_of_hours: Figures


def figures(waits_hours: Sequence[float], waiting: int = 0) -> Figures:
    """Median and 90th percentile (linear between the closest ranks) of `waits_hours`."""
    if not waits_hours:
        return Figures(0, waiting, None, None)
    ordered = sorted(waits_hours)
    p90 = (
        ordered[0]
        if len(ordered) == 1
        else statistics.quantiles(ordered, n=10, method="inclusive")[8]
    )
    return Figures(len(ordered), waiting, statistics.median(ordered), p90)


def summarise(
    items: Iterable[Item], is_holiday: IsHoliday, names: dict[str, str] | None = None
) -> list[SubnetTimes]:
    """Figures per subnet, split in and out of hours by when each item was raised; subnets in
    name order."""
    waits: dict[tuple[str, bool], list[float]] = defaultdict(list)
    waiting: dict[tuple[str, bool], int] = defaultdict(int)
    subnets: set[str] = set()
    for item in items:
        key = (item.subnet_uri, in_hours(item.raised_at, is_holiday))
        subnets.add(item.subnet_uri)
        if item.first_action_at is None:
            waiting[key] += 1
        else:
            seconds = max(0.0, (item.first_action_at - item.raised_at).total_seconds())
            waits[key].append(seconds / 3600)
    names = names or {}
    rows = [
        SubnetTimes(
            uri,
            names.get(uri, uri),
            figures(waits[(uri, True)], waiting[(uri, True)]),
            figures(waits[(uri, False)], waiting[(uri, False)]),
        )
        for uri in subnets
    ]
    return sorted(rows, key=lambda row: (row.name.lower(), row.subnet_uri))


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_row(row: SubnetTimes) -> str:
    """One line for the command line: the subnet, then each part's figures."""
    parts = [row.name]
    for label, part in (("in hours", row.in_hours), ("out of hours", row.out_of_hours)):
        parts.append(
            f"{label}: answered={part.answered} median_h={_hours(part.median_hours)}"
            f" p90_h={_hours(part.p90_hours)} waiting={part.waiting}"
        )
    return "\t".join(parts)


async def items(s: AsyncSession, ids: LocalIds) -> list[Item]:
    """Held posts (ours and partners'), reports of posts in subnets hosted here and alerts
    recorded here, each with its first answer (a report's: its review)."""
    answered = await store.first_answers(s, HELD_POST_ANSWERS)
    found: list[Item] = []
    for post in await store.held_or_answered_posts(s, [ids.post_id(uri) for uri in answered]):
        found.append(Item(post.subnet_uri, post.published, answered.get(ids.post(post.id))))
    for ref in await store.held_or_answered_refs(s, list(answered)):
        found.append(Item(ref.subnet_uri, ref.received_at, answered.get(ref.object_uri)))
    for report in await store.reports(s):
        if ids.subnet_slug(report.subnet_uri) is not None:
            found.append(Item(report.subnet_uri, report.created_at, report.reviewed_at))
    for alert in await store.alerts(s):
        answers = [at for at in (alert.acknowledged_at, alert.resolved_at) if at is not None]
        found.append(Item(alert.subnet_uri, alert.created_at, min(answers, default=None)))
    return found


async def for_node(
    s: AsyncSession,
    ids: LocalIds,
    *,
    viewer: Person | None,
    more: Iterable[Item] = (),
    is_holiday: IsHoliday | None = None,
) -> list[SubnetTimes]:
    """Every subnet's figures for staff (`viewer` None: the node's command line). `more`
    takes items from other sources."""
    if viewer is not None and not may(viewer.role, Action.READ_RESPONSE_TIMES):
        raise NotPermitted("Response times are for staff.")
    found = [*await items(s, ids), *more]
    names = await store.subnet_names(s, ids.subnet)
    names.setdefault("", OUTSIDE_SUBNETS)
    return summarise(found, is_holiday or bank_holidays(), names)
