"""What waits at a subnet's home, for the moderators it granted at partner trusts.

A clinician at a partner trust whom a subnet's home made one of its moderators acts through
that home (`actors/moderation.py`), and what waits for them is known there: posts held for
pre-moderation or hidden after reports, and open reports. Their own node knows only part of
it (a held post is announced to nobody), so it asks the home live, with a signed request
naming them (`federation/home_queues.py`), each time they open their queue or the subnet's
moderation page, and keeps the answer only in memory, briefly, for the count in the header
of their other pages. The home answers only for a
moderator of that very subnet on the asking node, with post URIs, states, times and report
reason codes: never who reported, never any text (each post's text comes from its own home,
which serves a held or hidden post to a moderator of its subnet only; `actors/posts.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas, subnets
from actors.errors import NotFound
from actors.ids import LocalIds, host_of
from actors.posts import subnet_of_known
from storage import moderation as moderation_store
from storage import subnets as subnet_store
from storage.models import Peer, Report

WAITING_STATES = ("held", "hidden")


@dataclass(frozen=True)
class AtHome:
    """One thing waiting at a subnet's home: a post (`state` held or hidden) or the open
    reports of one post (`reasons`, one code per report, oldest first)."""

    kind: str  # "post" or "report"
    object_uri: str
    since: datetime
    state: str = ""
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ask:
    """A subnet hosted elsewhere, and the moderator's URI in it (who the home answers for)."""

    subnet_uri: str
    reader_uri: str


class HomeQueues(Protocol):
    """Asks subnets' homes what waits there for one of our moderators (live, never stored)."""

    async def waiting(self, asks: Sequence[Ask]) -> Mapping[str, Sequence[AtHome]]:
        """By subnet URI; a home that cannot be reached, or refuses, is simply absent."""
        ...

    def recent(
        self, asks: Sequence[Ask], *, refresh: bool = True
    ) -> Mapping[str, Sequence[AtHome]]:
        """What the homes last answered for these asks, from memory and without waiting (for
        the count in every staff page's header); asks not answered lately are absent, and
        (with `refresh`) are asked again in the background for the next page."""
        ...


async def asks_for(
    s: AsyncSession, ids: LocalIds, person_id: str, subnet_uris: Sequence[str]
) -> list[Ask]:
    """The subnets among `subnet_uris` (which the person moderates) hosted elsewhere, each
    with the person's URI there."""
    found = []
    for uri in subnet_uris:
        if ids.subnet_slug(uri) is not None:
            continue
        reader = await personas.find_member_uri(s, ids, person_id, uri)
        if reader is not None:
            found.append(Ask(uri, reader))
    return found


async def for_partner_moderator(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, subnet_uri: str, reader_uri: str
) -> list[AtHome]:
    """The home's side: what waits in a subnet hosted here, for `reader_uri`, a moderator we
    granted on the asking node `peer`. NotFound for anyone else (no hint the subnet exists)."""
    if ids.subnet_slug(subnet_uri) is None or not await subnets.node_may_see(
        s, ids, subnet_uri, peer
    ):
        raise NotFound("No such subnet.")
    row = await subnet_store.membership(s, subnet_uri, reader_uri)
    if host_of(reader_uri) != peer.host or row is None or row.role != "moderator":
        raise NotFound("No such subnet.")
    found = [
        AtHome("post", ids.post(post.id), post.updated or post.published, post.moderation_state)
        for post in await moderation_store.hidden_posts(s, [subnet_uri])
    ]
    found += [
        AtHome("post", ref.object_uri, ref.updated or ref.received_at, ref.moderation_state)
        for ref in await moderation_store.hidden_refs(s, [subnet_uri])
    ]
    by_post: dict[str, list[Report]] = {}
    for report in await moderation_store.open_reports(s, [subnet_uri]):
        by_post.setdefault(report.object_uri, []).append(report)
    for object_uri, rows in by_post.items():
        if await subnet_of_known(s, ids, object_uri) == subnet_uri:  # not removed since
            found.append(
                AtHome(
                    "report",
                    object_uri,
                    rows[0].created_at,
                    reasons=tuple(r.reason for r in rows),
                )
            )
    return found
