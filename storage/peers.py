"""Agreed peer nodes and cached documents of actors that live on them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import insert_or
from storage.models import Delivery, Peer, RemoteActor, table_of


async def add_peer(s: AsyncSession, peer: Peer) -> Peer:
    s.add(peer)
    await s.flush()
    return peer


async def peer_by_host(s: AsyncSession, host: str) -> Peer | None:
    return await s.scalar(select(Peer).where(Peer.host == host, Peer.state != "removed"))


async def peer_by_instance_actor(s: AsyncSession, actor_uri: str) -> Peer | None:
    """The peer whose node actor this is (notices and the partner list name trusts by it)."""
    return await s.scalar(select(Peer).where(Peer.instance_actor == actor_uri))


async def peer_by_id(s: AsyncSession, peer_id: str) -> Peer | None:
    return await s.get(Peer, peer_id)


async def peer_by_url(s: AsyncSession, url: str) -> Peer | None:
    return await s.scalar(select(Peer).where(Peer.url == url))


async def list_peers(s: AsyncSession) -> Sequence[Peer]:
    return (await s.scalars(select(Peer).order_by(Peer.name))).all()


async def queue_lengths(s: AsyncSession) -> dict[str, int]:
    """Deliveries not yet done, per peer id."""
    rows = await s.execute(
        select(Delivery.peer_id, func.count())
        .where(Delivery.state == "pending")
        .group_by(Delivery.peer_id)
    )
    return {peer_id: count for peer_id, count in rows.all()}


async def remote_actor(s: AsyncSession, uri: str) -> RemoteActor | None:
    return await s.get(RemoteActor, uri)


async def groups_hosted_by(s: AsyncSession, peer_id: str) -> Sequence[RemoteActor]:
    """The cached Group documents of subnets a peer hosts."""
    return (
        await s.scalars(
            select(RemoteActor).where(RemoteActor.peer_id == peer_id, RemoteActor.kind == "Group")
        )
    ).all()


async def partners_listed(s: AsyncSession, uri: str) -> list[str] | None:
    """The partner nodes a cached Group document lists, read without loading the row (so a
    later refresh of the document is seen by `remote_actor`); None when it is not cached."""
    found = (await s.execute(select(RemoteActor.partners).where(RemoteActor.uri == uri))).first()
    return list(found[0]) if found is not None else None


async def save_remote_actor(s: AsyncSession, actor: RemoteActor) -> RemoteActor:
    """Insert or refresh a cached actor atomically (two fetches of one actor may race)."""
    values = {column.key: getattr(actor, column.key) for column in table_of(RemoteActor).columns}
    statement = insert_or(s, RemoteActor).values(values)
    await s.execute(
        statement.on_conflict_do_update(
            index_elements=["uri"],
            set_={key: statement.excluded[key] for key in values if key != "uri"},
        )
    )
    return actor


async def remote_actors(s: AsyncSession, uris: Sequence[str]) -> dict[str, RemoteActor]:
    if not uris:
        return {}
    rows = await s.scalars(select(RemoteActor).where(RemoteActor.uri.in_(uris)))
    return {row.uri: row for row in rows}


async def note_answer(s: AsyncSession, peer_id: str, now: datetime, *, success: bool) -> None:
    """The peer answered a delivery: it is alive (a dead peer comes back)."""
    values: dict[str, object] = {"state": "active"}
    if success:
        values["last_success_at"] = now
    await s.execute(
        update(Peer).where(Peer.id == peer_id, Peer.state != "removed").values(**values)
    )


async def note_failure(s: AsyncSession, peer_id: str, now: datetime, *, dead: bool) -> None:
    """The peer did not answer; `dead` marks it so its deliveries rest but for probes."""
    values: dict[str, object] = {"last_failure_at": now}
    if dead:
        values["state"] = "dead"
    await s.execute(
        update(Peer).where(Peer.id == peer_id, Peer.state != "removed").values(**values)
    )


async def note_fetch_failure(s: AsyncSession, peer_id: str, now: datetime, reason: str) -> None:
    """A peer's answer to a read (content, an actor or key document) was unusable: counted in
    its health, with a short reason (never any of the answer itself)."""
    await s.execute(
        update(Peer)
        .where(Peer.id == peer_id)
        .values(
            fetch_failures=Peer.fetch_failures + 1,
            last_fetch_failure_at=now,
            last_fetch_error=reason[:200],
        )
    )


async def repin(s: AsyncSession, peer_id: str, key_fingerprint: str) -> None:
    """The peer's node rotated its key (and proved it with the old one)."""
    await s.execute(update(Peer).where(Peer.id == peer_id).values(key_fingerprint=key_fingerprint))


async def peers_by_instance_actors(s: AsyncSession, actor_uris: Sequence[str]) -> Sequence[Peer]:
    if not actor_uris:
        return []
    return (
        await s.scalars(
            select(Peer).where(Peer.instance_actor.in_(actor_uris), Peer.state != "removed")
        )
    ).all()
