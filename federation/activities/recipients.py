"""Which agreed node an activity goes to: a subnet's home, a member's node, a subnet's
partners. A peer the admin removed receives nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from actors.ids import host_of
from storage import peers as peer_store
from storage import subnets as subnet_store
from storage.models import Peer


async def live_peer(s: AsyncSession, peer_id: str) -> Peer | None:
    peer = await peer_store.peer_by_id(s, peer_id)
    return peer if peer is not None and peer.state != "removed" else None


async def home_of(s: AsyncSession, subnet_uri: str) -> Peer | None:
    """The node hosting a subnet hosted elsewhere."""
    group = await peer_store.remote_actor(s, subnet_uri)
    return await live_peer(s, group.peer_id) if group is not None else None


async def member_node(s: AsyncSession, member_uri: str) -> Peer | None:
    """The node a remote member's persona lives on."""
    peer = await peer_store.peer_by_host(s, host_of(member_uri))
    return peer if peer is not None and peer.state != "removed" else None


async def partners_of(s: AsyncSession, slug: str) -> list[Peer]:
    """The partner nodes of a subnet hosted here (none if it is gone): the one-subnet case of
    `storage.subnets.partners_by_slug`, which plans a run of accepted posts."""
    return (await subnet_store.partners_by_slug(s, [slug])).get(slug, [])
