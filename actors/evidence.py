"""Evidence of benefit: each subnet's monthly figures, worked out from rows and suppressed
before anyone sees them (actors/suppression.py).

A node counts only its own people: those it invited, their visits, the posts they wrote (and
the first reply each got, from whichever trust), the moderation decisions made here and the
alerts raised here. `figures` is a pure function of those rows, a month and an out-of-hours
calendar; `shown` applies the suppression, and only its result is ever rendered, exported or
sent to a partner trust. Months are calendar months in UTC. Pooled figures (`pool`) add the
shown counts of each trust taking part, which a `PartnerFigures` (federation/evidence.py)
asks them for, and pool each median from the trusts' suppressed distributions of its values
(actors/distribution.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from actors import distribution, sharing, subnets
from actors.distribution import EDGES, Distribution, MedianBin
from actors.errors import Invalid, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.policy import STAFF, Action, may
from actors.suppression import (
    HIDDEN,
    SMALLEST_SHOWN,
    Group,
    Shown,
    add_shown,
    median,
    share,
    suppress,
)
from storage import evidence as store
from storage import sharing as sharing_store
from storage.models import Peer, Person

COUNTS = (
    "invited",
    "activated",
    "active",
    "came_once",
    "activity",
    "activity_in_hours",
    "activity_out_of_hours",
    "posts",
    "first_replies_peer_in_hours",
    "first_replies_peer_out_of_hours",
    "first_replies_staff_in_hours",
    "first_replies_staff_out_of_hours",
    "moderated",
    "alerts",
    "alerts_acknowledged",
)
# Each median (in hours) and the count of the values it is the median of.
MEDIANS: Mapping[str, str] = {
    "invitation_to_first_visit_hours": "activated",
    "first_reply_peer_in_hours_hours": "first_replies_peer_in_hours",
    "first_reply_peer_out_of_hours_hours": "first_replies_peer_out_of_hours",
    "first_reply_staff_in_hours_hours": "first_replies_staff_in_hours",
    "first_reply_staff_out_of_hours_hours": "first_replies_staff_out_of_hours",
    "moderation_queue_hours": "moderated",
    "alert_acknowledge_hours": "alerts_acknowledged",
}
GROUPS = (Group("activity", ("activity_in_hours", "activity_out_of_hours")),)
MONTHS_SHOWN = 6
MAX_MONTHS = 12


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> Month:
        try:
            year, month = (int(part) for part in value.split("-"))
            found = cls(year, month)
            found.start  # noqa: B018 — validates the month
        except ValueError:
            raise Invalid("Give a month as YYYY-MM, for example 2026-11.", "month") from None
        if not 2000 <= year <= 9999:
            raise Invalid("Give a month as YYYY-MM, for example 2026-11.", "month")
        return found

    @classmethod
    def of(cls, at: datetime) -> Month:
        at = at.astimezone(UTC)
        return cls(at.year, at.month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_to(last: Month, n: int) -> list[Month]:
    """`n` months ending with `last`, oldest first."""
    found = [last]
    while len(found) < n:
        found.append(found[-1].previous())
    return found[::-1]


@dataclass(frozen=True)
class Reply:
    in_reply_to: str
    at: datetime
    author: str  # a local person id, or a remote member URI
    staff: bool


@dataclass(frozen=True)
class SubnetRows:
    """What a node holds about one subnet, as times and kinds (no text, no names)."""

    invitations: Sequence[tuple[datetime, datetime | None, str | None]] = ()
    visits: Sequence[tuple[str, datetime]] = ()
    # (post URI, author person id, author is staff, published, in reply to)
    posts: Sequence[tuple[str, str, bool, datetime, str | None]] = ()
    replies: Sequence[Reply] = ()
    moderation: Sequence[tuple[datetime, datetime]] = ()
    alerts: Sequence[tuple[datetime, datetime | None]] = ()


@dataclass(frozen=True)
class MonthFigures:
    """True counts and the values behind each median: never shown as they are."""

    counts: Mapping[str, int]
    values: Mapping[str, Sequence[float]]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def figures(
    rows: SubnetRows, month: Month, out_of_hours: Callable[[datetime], bool]
) -> MonthFigures:
    """One month's figures for one subnet at one trust (definitions: actors/evidence_method.py)."""
    counts: dict[str, int] = dict.fromkeys(COUNTS, 0)
    values: dict[str, list[float]] = {name: [] for name in MEDIANS}

    counts["invited"] = sum(1 for created, _, _ in rows.invitations if month.holds(created))
    activated = [
        (created, used, by)
        for created, used, by in rows.invitations
        if used is not None and month.holds(used)
    ]
    counts["activated"] = len(activated)
    values["invitation_to_first_visit_hours"] = [_hours(used - c) for c, used, _ in activated]

    moments = [(who, at) for who, at in rows.visits] + [
        (author, at) for _, author, _, at, _ in rows.posts
    ]
    days_of: dict[str, set[date]] = defaultdict(set)
    for who, at in moments:
        days_of[who].add(at.astimezone(UTC).date())
    in_month = [(who, at) for who, at in moments if month.holds(at)]
    counts["active"] = len({who for who, _ in in_month})
    counts["came_once"] = sum(1 for _, _, by in activated if by and len(days_of.get(by, ())) <= 1)
    counts["activity"] = len(in_month)
    counts["activity_out_of_hours"] = sum(1 for _, at in in_month if out_of_hours(at))
    counts["activity_in_hours"] = counts["activity"] - counts["activity_out_of_hours"]
    counts["posts"] = sum(1 for _, _, _, at, _ in rows.posts if month.holds(at))

    replies_to: dict[str, list[Reply]] = defaultdict(list)
    for reply in rows.replies:
        replies_to[reply.in_reply_to].append(reply)
    for uri, author, _, at, in_reply_to in rows.posts:
        if in_reply_to is not None or not month.holds(at):
            continue
        others = [r for r in replies_to.get(uri, ()) if r.author != author and r.at >= at]
        if not others:
            continue
        first = min(others, key=lambda r: r.at)
        who = "staff" if first.staff else "peer"
        when = "out_of_hours" if out_of_hours(at) else "in_hours"
        counts[f"first_replies_{who}_{when}"] += 1
        values[f"first_reply_{who}_{when}_hours"].append(_hours(first.at - at))

    decided = [(queued, at) for queued, at in rows.moderation if month.holds(at)]
    counts["moderated"] = len(decided)
    values["moderation_queue_hours"] = [_hours(at - queued) for queued, at in decided]

    raised = [(at, acked) for at, acked in rows.alerts if month.holds(at)]
    counts["alerts"] = len(raised)
    acknowledged = [_hours(acked - at) for at, acked in raised if acked is not None]
    counts["alerts_acknowledged"] = len(acknowledged)
    values["alert_acknowledge_hours"] = acknowledged
    return MonthFigures(counts, values)


@dataclass(frozen=True)
class ShownMonth:
    """A month's figures as they may be seen or leave the node. `distributions` (of each
    median's values, actors/distribution.py) is None from a partner that sent none."""

    month: str
    counts: Mapping[str, Shown]
    medians: Mapping[str, float | str]
    distributions: Mapping[str, Distribution] | None = None

    def as_json(self) -> dict[str, Any]:
        found = {"month": self.month, "counts": dict(self.counts), "medians": dict(self.medians)}
        if self.distributions is not None:
            found["distributions"] = {
                "at_or_under_hours": list(EDGES),
                "counts": {
                    name: cells if isinstance(cells, str) else list(cells)
                    for name, cells in self.distributions.items()
                },
            }
        return found


def shown(month: Month, found: MonthFigures) -> ShownMonth:
    """Suppressed counts; a median only where its count is shown and at least 8 values; each
    median's distribution suppressed as actors/distribution.py says."""
    counts = suppress(found.counts, GROUPS)
    medians: dict[str, float | str] = {}
    distributions: dict[str, Distribution] = {}
    for name, count in MEDIANS.items():
        value = median(found.values[name])
        hidden = isinstance(counts[count], str) or value is None
        medians[name] = HIDDEN if hidden or value is None else round(value, 1)
        cumulative = distribution.at_or_under(found.values[name])
        middle = None if value is None else distribution.bin_of(value)
        distributions[name] = (
            HIDDEN
            if isinstance(counts[count], str)
            else distribution.shown_distribution(cumulative, found.counts[count], middle)
        )
    return ShownMonth(str(month), counts, medians, distributions)


# Each share: its numerator and denominator (counts), and what it is multiplied by.
SHARES: Mapping[str, tuple[str, str, int]] = {
    "came_once_share": ("came_once", "activated", 1),
    "out_of_hours_share": ("activity_out_of_hours", "activity", 1),
    "alerts_per_1000_posts": ("alerts", "posts", 1000),
}


def shares(counts: Mapping[str, Shown]) -> dict[str, float | None]:
    """The shares the page shows, from shown counts only (so they reveal nothing more); None
    when a count is hidden or the denominator is 0."""
    found = {}
    for name, (numerator, denominator, per) in SHARES.items():
        value = share(counts[numerator], counts[denominator])
        found[name] = None if value is None else value * per
    return found


def valid_shown_month(document: Any) -> ShownMonth:
    """A partner's month as it must arrive: every count hidden, 0 or a multiple of 5 from 8
    up, every median a number or hidden. Anything else is refused (Invalid): a host never
    shows a figure that was not suppressed."""
    if not isinstance(document, dict) or not isinstance(document.get("month"), str):
        raise Invalid("not a month of figures")
    month = str(Month.parse(document["month"]))
    counts, medians = document.get("counts"), document.get("medians")
    if not isinstance(counts, dict) or set(counts) != set(COUNTS):
        raise Invalid("counts missing or unknown")
    if not isinstance(medians, dict) or set(medians) != set(MEDIANS):
        raise Invalid("medians missing or unknown")
    for value in counts.values():
        suppressed = value == HIDDEN or value == 0
        rounded = type(value) is int and value >= SMALLEST_SHOWN and value % 5 == 0
        if not (suppressed or rounded):
            raise Invalid("a count that was not suppressed")
    for value in medians.values():
        number = type(value) in (int, float) and math.isfinite(value) and value >= 0
        if not (value == HIDDEN or number):
            raise Invalid("a median that is not a number")
    if "distributions" not in document:  # a partner on an older version: counts only
        return ShownMonth(month, counts, medians)
    return ShownMonth(month, counts, medians, _valid_distributions(document, counts))


def _valid_distributions(
    document: dict[str, Any], counts: Mapping[str, Shown]
) -> dict[str, Distribution]:
    found = document["distributions"]
    if (
        not isinstance(found, dict)
        or set(found) != {"at_or_under_hours", "counts"}
        or found["at_or_under_hours"] != list(EDGES)
        or any(type(edge) not in (int, float) for edge in found["at_or_under_hours"])
        or not isinstance(found["counts"], dict)
        or set(found["counts"]) != set(MEDIANS)
    ):
        raise Invalid("distributions missing, unknown or on other edges")
    try:
        return {
            name: distribution.valid_distribution(cells, counts[MEDIANS[name]])
            for name, cells in found["counts"].items()
        }
    except ValueError as error:
        raise Invalid(str(error)) from None


@dataclass(frozen=True)
class TrustFigures:
    trust: str
    months: Sequence[ShownMonth]


@dataclass(frozen=True)
class PoolAsk:
    peer_id: str
    trust: str


class PartnerFigures(Protocol):
    """Asks other trusts for their shown figures of a subnet (federation/evidence.py)."""

    async def gather(
        self, asks: Sequence[PoolAsk], subnet_uri: str, months: Sequence[str]
    ) -> Mapping[str, TrustFigures | None]: ...


@dataclass(frozen=True)
class EvidencePlan:
    subnet_uri: str
    name: str
    month: Month
    months: Sequence[Month]
    own: TrustFigures
    asks: Sequence[PoolAsk]


@dataclass(frozen=True)
class NetworkMedian:
    """A median pooled from the distributions the trusts sent: where it lies (None when too few
    values were pooled), and which trusts' values are in it and which are left out."""

    found: MedianBin | None
    pooled: Sequence[str]
    too_few: Sequence[str]  # their distribution was hidden (1-7 values)
    none_sent: Sequence[str]  # they sent no distributions (an older version)


@dataclass(frozen=True)
class Pooled:
    """Each trust's shown months and the network's (sums of shown counts: a sum with a hidden
    part is marked `partial`, a lower bound; medians pooled from distributions)."""

    plan: EvidencePlan
    trusts: Sequence[TrustFigures]
    unanswered: Sequence[str]
    network: Sequence[dict[str, tuple[int, bool]]] = field(default_factory=list)
    medians: Sequence[dict[str, NetworkMedian]] = field(default_factory=list)


def require_reader(person: Person) -> None:
    if not may(person.role, Action.READ_EVIDENCE):
        raise NotPermitted("Only the trust's admins and analysts can see the evidence.")


async def subnets_with_evidence(s: AsyncSession, ids: LocalIds) -> list[tuple[str, str]]:
    """(URI, name) of every subnet this trust takes part in: its own and accepted shares."""
    found = [
        (ids.subnet(subnet.slug), subnet.name) for subnet in await subnets.all_local_subnets(s)
    ]
    for offer, _ in await sharing_store.offers(s, "accepted"):
        found.append((offer.subnet_uri, offer.name))
    return sorted(found, key=lambda item: item[1].lower())


async def rows_of(s: AsyncSession, ids: LocalIds, subnet_uri: str) -> SubnetRows:
    """Everything `figures` reads about one subnet at this trust."""
    slug = ids.subnet_slug(subnet_uri)
    people = await store.local_people_in(s, subnet_uri)
    staff_people = {person_id for _, person_id, role, _ in people if role in STAFF}
    person_of_member = {ids.member(persona_id): person_id for persona_id, person_id, _, _ in people}
    moderators = {
        uri for uri, role, _ in await store.memberships(s, subnet_uri) if role != "member"
    }
    posts = [
        (ids.post(post_id), author, author in staff_people, at, in_reply_to)
        for post_id, author, at, in_reply_to in await store.local_posts(s, subnet_uri)
    ]
    replies = [
        Reply(in_reply_to, at, author, author in staff_people)
        for _, author, _, at, in_reply_to in posts
        if in_reply_to is not None
    ]
    for author_uri, in_reply_to, at in await store.remote_replies(s, subnet_uri):
        author = person_of_member.get(author_uri, author_uri)
        replies.append(Reply(in_reply_to, at, author, author_uri in moderators))
    return SubnetRows(
        invitations=await store.invitations_into(s, slug) if slug else (),
        visits=await store.visits(s, subnet_uri),
        posts=posts,
        replies=replies,
        moderation=await store.moderation_decisions(s, subnet_uri),
        alerts=await store.alerts_in(s, subnet_uri),
    )


async def own_figures(
    s: AsyncSession,
    ids: LocalIds,
    subnet_uri: str,
    months: Sequence[Month],
    out_of_hours: Callable[[datetime], bool],
    trust_name: str,
) -> TrustFigures:
    rows = await rows_of(s, ids, subnet_uri)
    return TrustFigures(
        trust_name, [shown(month, figures(rows, month, out_of_hours)) for month in months]
    )


async def plan(
    s: AsyncSession,
    ids: LocalIds,
    *,
    viewer: Person,
    subnet_uri: str,
    month: Month,
    out_of_hours: Callable[[datetime], bool],
    trust_name: str,
) -> EvidencePlan:
    """This trust's figures for a subnet, and which other trusts to ask for theirs."""
    require_reader(viewer)
    known = dict(await subnets_with_evidence(s, ids))
    if subnet_uri not in known:
        raise NotFound("This trust takes no part in that subnet.")
    months = months_to(month, MONTHS_SHOWN)
    own = await own_figures(s, ids, subnet_uri, months, out_of_hours, trust_name)
    peers = await sharing.nodes_taking_part(s, ids, subnet_uri)
    asks = [PoolAsk(peer.id, peer.name) for peer in peers if peer.state != "removed"]
    return EvidencePlan(subnet_uri, known[subnet_uri], month, months, own, asks)


def pool(plan: EvidencePlan, answers: Mapping[str, TrustFigures | None]) -> Pooled:
    """The page's figures: this trust's, each partner's that answered, and their sums."""
    trusts = [plan.own]
    unanswered = []
    for ask in plan.asks:
        answer = answers.get(ask.peer_id)
        if answer is None or [m.month for m in answer.months] != [str(m) for m in plan.months]:
            unanswered.append(ask.trust)
        else:
            trusts.append(TrustFigures(ask.trust, answer.months))
    network = [
        {name: add_shown(t.months[i].counts[name] for t in trusts) for name in COUNTS}
        for i in range(len(plan.months))
    ]
    medians = [
        {name: pool_median(name, [(t.trust, t.months[i]) for t in trusts]) for name in MEDIANS}
        for i in range(len(plan.months))
    ]
    return Pooled(plan, trusts, unanswered, network, medians)


def pool_median(name: str, months: Sequence[tuple[str, ShownMonth]]) -> NetworkMedian:
    """One median figure pooled over the trusts' months that sent a distribution of it."""
    parts: list[tuple[int, Sequence[Shown]]] = []
    pooled, too_few, none_sent = [], [], []
    for trust, month in months:
        total = month.counts[MEDIANS[name]]
        cells = None if month.distributions is None else month.distributions[name]
        if cells is None:
            none_sent.append(trust)
        elif isinstance(cells, str) or isinstance(total, str):
            too_few.append(trust)
        elif total > 0:
            parts.append((total, cells))
            pooled.append(trust)
    return NetworkMedian(distribution.pooled_median(parts), pooled, too_few, none_sent)


async def answer_partner(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    subnet_uri: str,
    months: Iterable[str],
    out_of_hours: Callable[[datetime], bool],
    trust_name: str,
) -> TrustFigures:
    """A trust taking part in the subnet asks for this trust's figures: shown ones only, and
    only to a node that takes part in that subnet (else NotFound, as if it did not exist)."""
    wanted = [Month.parse(m) for m in months]
    if not 1 <= len(wanted) <= MAX_MONTHS:
        raise Invalid(f"ask for between 1 and {MAX_MONTHS} months")
    known = dict(await subnets_with_evidence(s, ids))
    if subnet_uri not in known or not await subnets.node_may_see(s, ids, subnet_uri, peer):
        raise NotFound("no such subnet")
    return await own_figures(s, ids, subnet_uri, wanted, out_of_hours, trust_name)


async def record_visit(s: AsyncSession, person: Person, subnet_uri: str, now: datetime) -> None:
    """A member opened a subnet's page: counted once per clock hour."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    await store.record_visit(s, person.id, subnet_uri, hour)
