"""Inbound activities of cross-trust subnets: the share agreement, membership, and thread
changes (Delete, Update, Like, Undo). One `on_<type>` each; the rules live in `actors/`.

Whatever a handler drops from the database it also drops from the RAM content cache, so a
Delete or an unshare takes effect on this node at once, not after the cache TTL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actors import membership, sharing, threads
from actors.errors import Invalid
from actors.ids import LocalIds
from federation.cache import TTLCache
from federation.remote import Directory, id_of
from storage import erasures
from storage import peers as peer_store
from storage.models import Peer

Handler = Callable[[AsyncSession, Peer, dict[str, Any], datetime], Awaitable[None]]


def _type(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type")
        return kind[0] if isinstance(kind, list) and kind else kind
    return None


@dataclass
class SubnetActivities:
    ids: LocalIds
    directory: Directory
    cache: TTLCache[Any] | None
    update_actor: Handler

    def handlers(self) -> dict[str, Handler]:
        return {
            "Invite": self.on_invite,
            "Accept": self.on_accept,
            "Reject": self.on_reject,
            "Remove": self.on_remove,
            "Join": self.on_join,
            "Leave": self.on_leave,
            "Delete": self.on_delete,
            "Update": self.on_update,
            "Like": self.on_like,
            "Undo": self.on_undo,
            "Add": self.on_add,
        }

    def _forget(self, uris: Iterable[str]) -> None:
        if self.cache is not None:
            self.cache.drop(uris)

    async def _forget_subnet_keys(self, s: AsyncSession, subnet_uri: str) -> None:
        group = await peer_store.remote_actor(s, subnet_uri)
        if group is not None:
            self.directory.keys.drop([k for k in (group.key_id, group.ed25519_key_id) if k])

    async def on_invite(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        subnet_uri, target = id_of(doc.get("actor")), id_of(doc.get("target"))
        if not subnet_uri or target != self.ids.instance:
            raise Invalid("an Invite must come from a subnet and name this node as its target")
        group = await peer_store.remote_actor(s, subnet_uri)
        if group is None:
            raise Invalid("the inviting subnet's document is not known")
        await sharing.receive_invite(s, peer=peer, group=group, invite_id=doc["id"], now=now)

    async def on_accept(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        await self._answer(s, peer, doc, now, accepted=True)

    async def on_reject(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        await self._answer(s, peer, doc, now, accepted=False)

    async def _answer(
        self, s: AsyncSession, peer: Peer, doc: dict, now: datetime, *, accepted: bool
    ) -> None:
        answered = doc.get("object")
        kind = _type(answered)
        if not isinstance(answered, dict) or kind is None:
            raise Invalid("an Accept or Reject must embed what it answers")
        if kind == "Invite" and id_of(doc.get("actor")) == peer.instance_actor:
            subnet_uri = id_of(answered.get("actor")) or ""
            await sharing.partner_answered(
                s, self.ids, peer=peer, subnet_uri=subnet_uri, accepted=accepted, now=now
            )
        elif kind == "Delete" and accepted:
            object_uri = id_of(answered.get("object")) or ""
            await erasures.acknowledge(s, object_uri, peer.id, now)
        elif kind == "Join" and not accepted:
            await membership.removed_by_home(
                s,
                self.ids,
                peer=peer,
                subnet_uri=id_of(answered.get("object")) or "",
                member_uri=id_of(answered.get("actor")) or "",
            )

    async def on_remove(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        subnet_uri, removed = id_of(doc.get("actor")), id_of(doc.get("object"))
        if not subnet_uri or not removed:
            raise Invalid("a Remove must name the subnet and whom it removes")
        if removed == self.ids.instance:
            await self._forget_subnet_keys(s, subnet_uri)
            self._forget(
                await sharing.subnet_withdrawn(s, peer=peer, subnet_uri=subnet_uri, now=now)
            )
        else:
            await membership.removed_by_home(
                s, self.ids, peer=peer, subnet_uri=subnet_uri, member_uri=removed
            )

    async def on_add(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        """A subnet's home made one of our people a moderator of it."""
        subnet_uri, member = id_of(doc.get("actor")), id_of(doc.get("object"))
        if not subnet_uri or not member or id_of(doc.get("target")) != f"{subnet_uri}/moderators":
            raise Invalid("an Add must name a member and the subnet's moderators")
        await membership.made_moderator(
            s, self.ids, peer=peer, subnet_uri=subnet_uri, member_uri=member
        )

    async def on_join(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        member, subnet_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
        if not member or not subnet_uri:
            raise Invalid("a Join must name its subnet")
        await membership.remote_join(
            s, self.ids, peer=peer, subnet_uri=subnet_uri, member_uri=member, now=now
        )

    async def on_leave(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        member, subnet_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
        if not member or not subnet_uri:
            raise Invalid("a Leave must name its subnet")
        await membership.remote_leave(
            s, self.ids, peer=peer, subnet_uri=subnet_uri, member_uri=member
        )

    async def on_delete(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        object_uri = id_of(doc.get("object"))
        if not object_uri:
            raise Invalid("a Delete must name its object")
        self._forget(
            await threads.object_deleted(
                s,
                self.ids,
                peer=peer,
                object_uri=object_uri,
                delete_id=doc["id"],
                now=now,
                actor_uri=id_of(doc.get("actor")) or "",
            )
        )

    async def on_update(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        obj = doc.get("object")
        if _type(obj) == "Note":
            self._forget(await threads.object_updated(s, peer=peer, object_uri=id_of(obj) or ""))
            return
        await self.update_actor(s, peer, doc, now)
        if _type(obj) == "Group":
            group = await peer_store.remote_actor(s, id_of(obj) or "")
            if group is not None and group.peer_id == peer.id:
                if self.ids.instance not in group.partners:
                    await self._forget_subnet_keys(s, group.uri)
                self._forget(await sharing.group_changed(s, self.ids, group=group))

    async def on_like(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        await self._like(s, peer, doc, now, undo=False)

    async def _like(
        self, s: AsyncSession, peer: Peer, doc: dict, now: datetime, *, undo: bool
    ) -> None:
        actor, object_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
        if not actor or not object_uri:
            raise Invalid("a Like must name its object")
        await threads.remote_like(
            s, self.ids, peer=peer, actor_uri=actor, object_uri=object_uri, now=now, undo=undo
        )

    async def on_undo(self, s: AsyncSession, peer: Peer, doc: dict, now: datetime) -> None:
        undone = doc.get("object")
        if not isinstance(undone, dict) or id_of(undone.get("actor")) != id_of(doc.get("actor")):
            raise Invalid("an Undo must embed an activity of its own actor")
        if _type(undone) == "Like":
            await self._like(s, peer, undone, now, undo=True)
        elif _type(undone) == "Join":
            await self.on_leave(s, peer, undone, now)
        else:
            raise Invalid("only a Like or a Join can be undone")
