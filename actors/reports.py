"""Members' reports of posts, and the holds they trigger.

A report is kept at the reporter's node (who reported, for that node alone) and sent as a
`Flag` — the post's URI and a reason code, never the reporter — to the subnet's home and the
post's home. The subnet's home hides a post once `Thresholds.post_reporters` different members
reported it, everywhere, until a moderator reviews it; the post's home (the author's trust)
raises an alert for "worried about this person" and stops an author posting once
`Thresholds.author_posts` of their posts were reported within `author_window`. A reporting node
sends one Flag per member per post, so the homes count Flags to count reporters.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, moderation, personas, sanctions, screened, subnets
from actors.errors import Conflict, Invalid, NotFound, NotPermitted
from actors.events import EventKind
from actors.ids import LocalIds
from actors.policy import Action, may
from actors.posts import subnet_of_known
from actors.screening import Screening
from actors.text import post_text
from storage import audit
from storage import moderation as store
from storage import peers as peer_store
from storage import posts as post_store
from storage.models import Peer, Person, Report

REASONS: dict[str, str] = {
    "worried": "I'm worried about this person",
    "harmful": "Harmful or triggering for others",
    "numbers": "Numbers (weight, calories, sizes)",
    "bullying": "Bullying or abuse",
    "identifies": "It identifies someone",
    "spam": "Spam",
    "other": "Something else",
}
MAX_NOTE = 500
WORRIED = "reported_worried"
"""The alert category a "worried about this person" report raises at the author's home."""


@dataclass(frozen=True)
class Thresholds:
    """Side by Side's published thresholds, configurable per node."""

    post_reporters: int = 3
    author_posts: int = 5
    author_window: timedelta = timedelta(hours=24)


def _key(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def checked(reason: str, note: str) -> tuple[str, str]:
    if reason not in REASONS:
        raise Invalid("Choose why you are reporting this post.")
    note = post_text(note or "").strip()
    if reason == "other" and not note:
        raise Invalid("Tell us what is wrong with this post.")
    if len(note) > MAX_NOTE:
        raise Invalid(f"A note can be at most {MAX_NOTE} characters long.")
    return reason, note


async def report(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    object_uri: str,
    reason: str,
    note: str,
    now: datetime,
    thresholds: Thresholds,
) -> Report:
    """A member reports a post in a subnet they belong to (once per post)."""
    if not may(person.role, Action.REPORT_POST):
        raise NotPermitted("You cannot report posts.")
    reason, note = checked(reason, note)
    subnet_uri = await subnet_of_known(s, ids, object_uri)
    member = await personas.find_member_uri(s, ids, person.id, subnet_uri) if subnet_uri else None
    if subnet_uri is None or member is None:
        raise NotFound("There is no such post in a subnet you belong to.")
    await subnets.require_member(s, subnet_uri, member)
    post_id = ids.post_id(object_uri)
    post = await post_store.visible_post(s, post_id) if post_id else None
    if post is not None and post.author_id == person.id:
        raise Invalid("You cannot report your own post.")
    row = Report(
        object_uri=object_uri,
        subnet_uri=subnet_uri,
        reason=reason,
        note=note,
        reporter_key=_key(member),
        reporter_id=person.id,
        author_id=post.author_id if post else None,
        created_at=now,
    )
    if not await store.add_report(s, row):
        raise Conflict("You have already reported this post. Thank you: a moderator will look.")
    await events.record(s, EventKind.REPORT_MADE, {"report_id": row.id}, now)
    await _apply(s, ids, row, now, thresholds)
    return row


async def flagged(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    flag_id: str,
    object_uri: str,
    reason: str,
    note: str,
    claimed_subnet: str | None,
    now: datetime,
    thresholds: Thresholds,
) -> None:
    """A partner node's member reported a post of a subnet hosted here, or of ours."""
    if reason not in REASONS:
        raise Invalid("a Flag must carry one of the reason codes")
    subnet_uri = await subnet_of_known(s, ids, object_uri)
    if subnet_uri is None:
        raise NotFound("That post is not known here.")
    if claimed_subnet is not None and claimed_subnet != subnet_uri:
        raise NotPermitted("That post is in another subnet than the Flag names.")
    if not await subnets.node_may_see(s, ids, subnet_uri, peer):
        raise NotPermitted("That node does not take part in the post's subnet.")
    post_id = ids.post_id(object_uri)
    post = await post_store.post_by_id(s, post_id) if post_id else None
    if ids.subnet_slug(subnet_uri) is None and post is None:
        raise NotPermitted("Reports go to a subnet's home and a post's home only.")
    row = Report(
        object_uri=object_uri,
        subnet_uri=subnet_uri,
        reason=reason,
        note=post_text(note or "")[:MAX_NOTE],
        reporter_key=_key(flag_id),
        author_id=post.author_id if post else None,
        created_at=now,
    )
    if await store.add_report(s, row):
        await _apply(s, ids, row, now, thresholds)


async def _apply(
    s: AsyncSession, ids: LocalIds, row: Report, now: datetime, thresholds: Thresholds
) -> None:
    if ids.subnet_slug(row.subnet_uri) is not None:
        if await store.open_reporters(s, row.object_uri) >= thresholds.post_reporters:
            await moderation.hide_automatically(s, ids, object_uri=row.object_uri, now=now)
    if row.author_id is None:
        return
    post_id = ids.post_id(row.object_uri)
    post = await post_store.post_by_id(s, post_id) if post_id else None
    if post is None:
        return
    if row.reason == "worried":
        await screened.raise_alert(
            s, ids, post=post, screening=Screening("concern", (WORRIED,), 0.0), held=False, now=now
        )
    since = now - thresholds.author_window
    if await store.reported_posts_of(s, row.author_id, since) >= thresholds.author_posts:
        if await sanctions.hold_posting(
            s, person_id=row.author_id, reason="Several of your posts were reported.", now=now
        ):
            await audit.record(
                s, at=now, who="reports", action="posting.held", target=ids.post(post.id)
            )


async def recipients(s: AsyncSession, ids: LocalIds, report_id: str) -> tuple[Report, list[Peer]]:
    """Where a report of ours goes: the subnet's home and the post's home (not ourselves)."""
    row = await s.get(Report, report_id)
    if row is None:
        raise NotFound("no such report")
    peers: dict[str, Peer] = {}
    group = await peer_store.remote_actor(s, row.subnet_uri)
    if group is not None:
        home = await peer_store.peer_by_id(s, group.peer_id)
        if home is not None and home.state != "removed":
            peers[home.id] = home
    if not ids.is_local(row.object_uri):
        ref = await post_store.ref_by_uri(s, row.object_uri)
        author_home = await peer_store.peer_by_id(s, ref.peer_id) if ref else None
        if author_home is not None and author_home.state != "removed":
            peers[author_home.id] = author_home
    return row, list(peers.values())


async def release_hold(
    s: AsyncSession, ids: LocalIds, *, staff: Person, sanction_id: str, now: datetime
) -> None:
    """A clinician here reviewed the reports about one of this trust's people: they may post
    again (the reports stay on record)."""
    if not may(staff.role, Action.RELEASE_POSTING_HOLD):
        raise NotPermitted("Only this trust's staff can review a hold on posting.")
    sanction = await store.sanction_by_id(s, sanction_id)
    if sanction is None or sanction.kind != "posting_hold" or sanction.lifted_at is not None:
        raise NotFound("There is no such hold on posting.")
    sanction.lifted_at = now
    await audit.record(
        s, at=now, who=ids.person(staff.id), action="posting.released", target=sanction_id
    )
