"""What an actor's collections show a peer node: references only, and only where it may look.

A subnet's outbox lists the URIs of its newest posts (never their text: a partner fetches
each one through the per-post check), and its followers collection says how many members it
has without naming them. A member's outbox (a person's actor in one subnet) is empty to peers:
what they wrote is reached through the subnet, one post at a time, under the per-post check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas, subnets
from actors.errors import NotFound
from actors.ids import LocalIds
from storage import posts as post_store
from storage import subnets as subnet_store
from storage.models import Peer

OUTBOX_SIZE = 20


@dataclass(frozen=True)
class Listing:
    total: int
    items: list[str]


ListingQuery = Callable[[AsyncSession, LocalIds, str, Peer], Awaitable[Listing]]


async def subnet_outbox(s: AsyncSession, ids: LocalIds, slug: str, peer: Peer) -> Listing:
    """The newest post URIs of a subnet hosted here, for a partner node (NotFound otherwise)."""
    uri = ids.subnet(slug)
    if not await subnets.node_may_see(s, ids, uri, peer):
        raise NotFound("No such subnet.")
    dated: list[tuple[datetime, str]] = [
        (post.published, ids.post(post.id))
        for post, _ in await post_store.local_posts_in(s, uri, OUTBOX_SIZE)
    ]
    dated += [
        (ref.published, ref.object_uri) for ref in await post_store.refs_in(s, uri, OUTBOX_SIZE)
    ]
    dated.sort(reverse=True)
    items = [item for _, item in dated[:OUTBOX_SIZE]]
    return Listing(len(items), items)


async def subnet_members(s: AsyncSession, ids: LocalIds, slug: str, peer: Peer) -> Listing:
    """How many members a subnet has, for a partner node; never who they are."""
    uri = ids.subnet(slug)
    if not await subnets.node_may_see(s, ids, uri, peer):
        raise NotFound("No such subnet.")
    return Listing(await subnet_store.member_count(s, uri), [])


async def subnet_member_named(
    s: AsyncSession,
    ids: LocalIds,
    slug: str,
    peer: Peer,
    member_uri: str,
    moderator: bool = False,
) -> Listing:
    """Whether one named person is an active member (with `moderator`, a moderator) of a
    subnet hosted here, for a partner node confirming a reader (the URI itself, or nothing);
    NotFound for anyone else."""
    uri = ids.subnet(slug)
    if not await subnets.node_may_see(s, ids, uri, peer):
        raise NotFound("No such subnet.")
    row = await subnet_store.membership(s, uri, member_uri)
    found = row is not None and (not moderator or row.role == "moderator")
    return Listing(1, [member_uri]) if found else Listing(0, [])


async def member_outbox(s: AsyncSession, ids: LocalIds, member_id: str, peer: Peer) -> Listing:
    """A member's outbox as a peer sees it: empty, if the peer may see the member at all."""
    member = await personas.local_member(s, ids, ids.member(member_id))
    if member is None or not await subnets.member_visible_to_node(s, ids, member, peer):
        raise NotFound("No such actor.")
    return Listing(0, [])
