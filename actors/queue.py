"""One moderation queue per moderator, across every subnet they moderate here and every
partner subnet whose home made them a moderator: posts waiting (pre-moderation, edits,
reports), open reports, join requests, posting holds on this trust's people and open alerts —
oldest first, each with how long it has waited. Nothing here changes anything."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from actors import home_queue, moderation, personas, reports, subnets
from actors.alerts import sees_all_alerts
from actors.errors import NotFound
from actors.home_queue import AtHome
from actors.ids import LocalIds
from actors.policy import Action, may
from actors.posts import subnet_of_known
from storage import alerts as alert_store
from storage import moderation as store
from storage import people as people_store
from storage import subnets as subnet_store
from storage.models import Person, Report


@dataclass(frozen=True)
class Item:
    """One thing waiting for a moderator."""

    kind: str  # "post", "report", "join", "hold", "alert"
    since: datetime
    subnet_uri: str
    subnet_name: str
    title: str
    detail: str
    href: str
    target: str = ""

    def waited(self, now: datetime) -> str:
        return waited(now - self.since)


def waited(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


async def moderated_subnets(s: AsyncSession, ids: LocalIds, person: Person) -> dict[str, str]:
    """The subnets (URI → name) this person moderates, as far as this node knows."""
    if not may(person.role, Action.READ_MODERATION_QUEUE):
        return {}
    found: dict[str, str] = {}
    candidates = [
        m.subnet_uri
        for uri in await personas.member_uris_of(s, ids, person.id)
        for m in await subnet_store.memberships_of(s, uri)
    ]
    if person.role == "admin":
        candidates += [ids.subnet(sub.slug) for sub in await subnets.all_local_subnets(s)]
    for uri in candidates:
        if uri not in found and await moderation.may_moderate(s, ids, person, uri):
            try:
                found[uri] = (await subnets.summary(s, ids, uri, "")).name
            except NotFound:
                continue
    return found


def _href(subnet_uri: str) -> str:
    return f"/moderate?id={quote(subnet_uri, safe='')}"


def _post_title(state: str) -> str:
    return "Reported and hidden" if state == "hidden" else "Waiting for approval"


def _reports_title(n: int) -> str:
    return f"Reported by {n} member{'s' if n != 1 else ''}"


def _reasons(codes: Sequence[str]) -> str:
    counted = Counter(reports.REASONS[code] for code in codes if code in reports.REASONS)
    return "; ".join(f"{reason} ({n})" for reason, n in counted.items())


def _with_homes(
    found: list[Item], at_home: Mapping[str, Sequence[AtHome]], names: Mapping[str, str]
) -> list[Item]:
    """Add what waits at the homes of subnets moderated from here: a post not known here as
    waiting, and every post's open reports as the home counts them (all trusts' reports)."""
    answered = {uri for uri in at_home if uri in names}
    posts_here = {(item.subnet_uri, item.target) for item in found if item.kind == "post"}
    merged = [i for i in found if not (i.kind == "report" and i.subnet_uri in answered)]
    for subnet_uri in answered:
        href = _href(subnet_uri)
        for w in at_home[subnet_uri]:
            if w.kind == "post" and (subnet_uri, w.object_uri) not in posts_here:
                title, detail = _post_title(w.state), ""
            elif w.kind == "report":
                title, detail = _reports_title(len(w.reasons)), _reasons(w.reasons)
            else:
                continue
            merged.append(
                Item(
                    w.kind,
                    w.since,
                    subnet_uri,
                    names[subnet_uri],
                    title,
                    detail,
                    href,
                    w.object_uri,
                )
            )
    return merged


async def items(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    now: datetime,
    at_home: Mapping[str, Sequence[AtHome]] | None = None,
) -> list[Item]:
    """Everything waiting for `person`, oldest first; `at_home` is what the homes of partner
    subnets they moderate answered (`actors/home_queue.py`), by subnet."""
    names = await moderated_subnets(s, ids, person)
    uris = list(names)
    found: list[Item] = []
    for post in await store.hidden_posts(s, uris):
        state = _post_title(post.moderation_state)
        found.append(
            Item(
                "post",
                post.updated or post.published,
                post.subnet_uri,
                names[post.subnet_uri],
                state,
                "",
                _href(post.subnet_uri),
                ids.post(post.id),
            )
        )
    for ref in await store.hidden_refs(s, uris):
        state = _post_title(ref.moderation_state)
        found.append(
            Item(
                "post",
                ref.updated or ref.received_at,
                ref.subnet_uri,
                names[ref.subnet_uri],
                state,
                "",
                _href(ref.subnet_uri),
                ref.object_uri,
            )
        )
    by_post: dict[str, list[Report]] = {}
    for report in await store.open_reports(s, uris):
        by_post.setdefault(report.object_uri, []).append(report)
    for object_uri, rows in by_post.items():
        if await subnet_of_known(s, ids, object_uri) is None:  # removed since
            continue
        found.append(
            Item(
                "report",
                rows[0].created_at,
                rows[0].subnet_uri,
                names[rows[0].subnet_uri],
                _reports_title(len(rows)),
                _reasons([r.reason for r in rows]),
                _href(rows[0].subnet_uri),
                object_uri,
            )
        )
    for uri in uris:
        if ids.subnet_slug(uri) is None:
            continue
        for row in await subnet_store.members_of(s, uri):
            if row.state == "pending":
                found.append(
                    Item(
                        "join",
                        row.created_at,
                        uri,
                        names[uri],
                        "Asks to join",
                        "",
                        _href(uri),
                        row.member_uri,
                    )
                )
    holds = (
        await store.sanctions_in(s, [], now)
        if may(person.role, Action.RELEASE_POSTING_HOLD)
        else []
    )
    for sanction in holds:
        if sanction.kind == "posting_hold" and sanction.person_id:
            author = await people_store.person_by_id(s, sanction.person_id)
            found.append(
                Item(
                    "hold",
                    sanction.created_at,
                    "",
                    "",
                    "May not post until reviewed",
                    author.pseudonym if author else "",
                    f"/staff/people/{sanction.person_id}",
                    sanction.id,
                )
            )
    if await sees_all_alerts(s, person):
        for alert, _post, _author in await alert_store.alerts_with_posts(
            s, states=["open"], escalated_only=False, limit=50
        ):
            found.append(
                Item(
                    "alert",
                    alert.created_at,
                    alert.subnet_uri,
                    "",
                    f"Alert ({alert.level})",
                    "",
                    f"/staff/alerts/{alert.id}",
                    alert.id,
                )
            )
    if at_home:
        found = _with_homes(found, at_home, names)
    found.sort(key=lambda item: item.since)
    return found


async def home_asks(s: AsyncSession, ids: LocalIds, person: Person) -> list[home_queue.Ask]:
    """The partner subnets this person moderates, to ask their homes what waits there."""
    return await home_queue.asks_for(
        s, ids, person.id, list(await moderated_subnets(s, ids, person))
    )
