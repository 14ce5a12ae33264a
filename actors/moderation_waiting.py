"""What waits for a moderator in one subnet: posts held for approval or hidden after reports
(text for ours, references to resolve live for others'), what each was reported for, and who
is suspended; and, apart, posts a moderator hid (nothing waits: they can be shown again). For
a subnet hosted elsewhere, what its home answered is merged in (`actors/home_queue.py`).
Nothing here changes anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import NotPermitted
from actors.home_queue import AtHome
from actors.ids import LocalIds, host_of
from actors.moderation import WITHHELD, may_moderate
from actors.picture_files import PictureInfo
from actors.posts import RefToResolve, picture_info
from storage import moderation as moderation_store
from storage import peers as peer_store
from storage import people as people_store
from storage import pictures as picture_store
from storage import posts as store
from storage.models import Person


@dataclass(frozen=True)
class Held:
    uri: str
    author_name: str
    content: str | None
    local: bool
    published: datetime


@dataclass
class Waiting:
    """What a subnet's members page shows its moderator: posts waiting (held for approval or
    hidden after reports), with text for ours and references to resolve live for others';
    the reasons each was reported for; and who is suspended."""

    held: list[Held] = field(default_factory=list)
    refs: list[RefToResolve] = field(default_factory=list)
    withheld: list[Held] = field(default_factory=list)  # ours a moderator hid: nothing waits
    withheld_refs: list[RefToResolve] = field(default_factory=list)  # others' they hid
    states: dict[str, str] = field(default_factory=dict)
    reports: dict[str, list[str]] = field(default_factory=dict)
    suspended: set[str] = field(default_factory=set)
    pictures: dict[str, PictureInfo] = field(default_factory=dict)  # of our posts, by URI


async def waiting(
    s: AsyncSession,
    ids: LocalIds,
    *,
    moderator: Person,
    subnet_uri: str,
    now: datetime,
    at_home: Sequence[AtHome] | None = None,
) -> Waiting:
    """What waits in one subnet; for a subnet hosted elsewhere, `at_home` is what its home
    answered (`actors/home_queue.py`): posts held there that were never announced here, to
    resolve live like any other, and every open report as the home counts them."""
    if not await may_moderate(s, ids, moderator, subnet_uri):
        raise NotPermitted("Only a moderator of this subnet can do that.")
    found = Waiting()
    for post in await moderation_store.hidden_posts(s, [subnet_uri]):
        author = await people_store.person_by_id(s, post.author_id)
        name = author.pseudonym if author else "A member"
        uri = ids.post(post.id)
        found.held.append(Held(uri, name, post.content, True, post.published))
        found.states[uri] = post.moderation_state
    for ref in await moderation_store.hidden_refs(s, [subnet_uri]):
        found.refs.append(RefToResolve(ref.object_uri, ref.peer_id, ref.subnet_uri))
        found.states[ref.object_uri] = ref.moderation_state
    for report in await moderation_store.open_reports(s, [subnet_uri]):
        found.reports.setdefault(report.object_uri, []).append(report.reason)
    await _withheld(s, ids, found, subnet_uri)
    if at_home is not None:
        await _from_home(s, ids, found, subnet_uri, at_home)
    for uri in found.reports:  # reported, still shown: the moderator decides
        if uri in found.states:
            continue
        post_id = ids.post_id(uri)
        own = await store.visible_post(s, post_id) if post_id else None
        known = None if own is not None else await store.ref_by_uri(s, uri)
        if own is not None and own.moderation_state == "visible":
            author = await people_store.person_by_id(s, own.author_id)
            name = author.pseudonym if author else "A member"
            found.held.append(Held(uri, name, own.content, True, own.published))
            found.states[uri] = "visible"
        elif known is not None and known.moderation_state == "visible":
            found.refs.append(RefToResolve(uri, known.peer_id, known.subnet_uri))
            found.states[uri] = "visible"
    ours = found.held + found.withheld
    local = {post_id: item.uri for item in ours if (post_id := ids.post_id(item.uri))}
    for post_id, row in (await picture_store.described(s, list(local))).items():
        found.pictures[local[post_id]] = picture_info(row)
    found.suspended = {
        row.member_uri
        for row in await moderation_store.sanctions_in(s, [subnet_uri], now)
        if row.kind == "suspended"
    }
    return found


async def _withheld(s: AsyncSession, ids: LocalIds, found: Waiting, subnet_uri: str) -> None:
    """Posts a moderator hid: not waiting, listed apart so they can be shown again."""
    for post in await moderation_store.hidden_posts(s, [subnet_uri], (WITHHELD,)):
        author = await people_store.person_by_id(s, post.author_id)
        name = author.pseudonym if author else "A member"
        uri = ids.post(post.id)
        found.withheld.append(Held(uri, name, post.content, True, post.published))
        found.states[uri] = WITHHELD
    for ref in await moderation_store.hidden_refs(s, [subnet_uri], (WITHHELD,)):
        found.withheld_refs.append(RefToResolve(ref.object_uri, ref.peer_id, ref.subnet_uri))
        found.states[ref.object_uri] = WITHHELD


async def _from_home(
    s: AsyncSession, ids: LocalIds, found: Waiting, subnet_uri: str, at_home: Sequence[AtHome]
) -> None:
    found.reports = {w.object_uri: list(w.reasons) for w in at_home if w.kind == "report"}
    for w in at_home:
        if w.kind != "post" or w.object_uri in found.states or ids.post_id(w.object_uri):
            continue  # known here already (ours are listed from our own rows)
        peer = await peer_store.peer_by_host(s, host_of(w.object_uri))
        if peer is not None:
            found.refs.append(RefToResolve(w.object_uri, peer.id, subnet_uri))
            found.states[w.object_uri] = w.state
