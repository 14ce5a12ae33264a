"""The inbox worker: turns stored, verified activities into calls on `actors/`.

Each activity is normalised (federation/jsonld.py), then handled by one `on_<type>` in its own
transaction. A domain refusal (not a partner, not a member) marks the item `rejected` with the
reason; a transient failure (a peer unreachable while we fetch a key) is retried with backoff;
nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actors import posts
from actors.clock import Clock
from actors.errors import ActorError, Invalid
from actors.ids import LocalIds
from federation.cache import TTLCache
from federation.client import FetchError
from federation.jsonld import MalformedDocument, normalise
from federation.keys import fingerprint, load_public_pem
from federation.remote import Directory, UnusableActor, host_of, id_of, parse_actor
from federation.subnet_activities import SubnetActivities
from storage import peers as peer_store
from storage import queues
from storage.engine import Database
from storage.models import InboxItem, Peer

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 12
Handler = Callable[[AsyncSession, Peer, dict[str, Any], datetime], Awaitable[None]]


def _time(value: Any, default: datetime) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        if moment.tzinfo is not None:
            return moment
    return default


def _in_reply_to(doc: dict[str, Any]) -> str | None:
    """The thread position a by-reference object stub carries, if any."""
    obj = doc.get("object")
    return id_of(obj.get("inReplyTo")) if isinstance(obj, dict) else None


def backoff(attempts: int) -> timedelta:
    """Exponential with jitter: ~30 s, 1 min, 2 min … capped at a day."""
    base = min(30 * 2 ** max(attempts - 1, 0), 86_400)
    return timedelta(seconds=base * random.uniform(0.75, 1.25))  # noqa: S311 — jitter, not secrecy


@dataclass
class Processor:
    db: Database
    ids: LocalIds
    directory: Directory
    clock: Clock
    wake: asyncio.Event
    outbox_wake: asyncio.Event
    content_cache: TTLCache[Any] | None = None
    handlers: dict[str, Handler] = field(init=False)

    def __post_init__(self) -> None:
        self.handlers = {
            "Create": self.on_create,
            "Announce": self.on_announce,
            "Update": self.on_update,
        }
        self.handlers.update(
            SubnetActivities(
                self.ids, self.directory, self.content_cache, self.on_update
            ).handlers()
        )

    async def run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception as error:  # the database was unavailable; leases expire, try again
                log.error("inbox processing failed, retrying: error=%s", type(error).__name__)
                busy = 0
                await asyncio.sleep(1.0)
            if not busy:
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=1.0)
                except TimeoutError:
                    pass

    async def run_once(self, limit: int = 200) -> int:
        """Process one batch of due items; returns how many were taken.

        The batch is handled in one transaction, so a busy inbox costs one commit per batch
        rather than one per activity. If any item fails, the batch is rolled back whole and
        every item is redone in its own transaction, where a refusal or a transient failure is
        recorded for that item alone: the slow path is only paid when something is wrong.
        """
        async with self.db.transaction() as s:
            items = list(await queues.claim_inbox_items(s, self.clock(), LEASE, limit))
        if not items:
            return 0
        now = self.clock()
        try:
            prepared = [(item, normalise(item.activity)) for item in items]
            async with self.db.transaction() as s:
                for item, document in prepared:
                    await self._handle(s, item, document, now)
                await queues.finish_inbox_items(
                    s, [(item.id, item.attempts + 1) for item in items], state="done", now=now
                )
        except Exception:  # redone item by item below, where each outcome is recorded
            for item in items:
                await self._process(item)
        self.outbox_wake.set()
        return len(items)

    async def _handle(
        self, s: AsyncSession, item: InboxItem, document: dict[str, Any], now: datetime
    ) -> None:
        peer = await self.directory.peers.by_id(item.peer_id)
        if peer is None:
            raise Invalid("the sending peer is no longer agreed")
        handler = self.handlers.get(str(document.get("type")))
        if handler is not None:
            await handler(s, peer, document, now)

    async def _process(self, item: InboxItem) -> None:
        now = self.clock()
        try:
            document = normalise(item.activity)
            async with self.db.transaction() as s:
                await self._handle(s, item, document, now)
                await queues.finish_inbox_items(
                    s, [(item.id, item.attempts + 1)], state="done", now=now
                )
        except (ActorError, MalformedDocument) as error:
            log.info("inbox item rejected: type=%s reason=%s", type(error).__name__, error)
            await self._finish(item, "rejected", now, str(error))
        except (UnusableActor, FetchError, OSError, TimeoutError) as error:
            attempts = item.attempts + 1
            state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            log.warning(
                "inbox item will be retried: attempts=%s error=%s", attempts, type(error).__name__
            )
            await self._finish(item, state, now + backoff(attempts), str(error), attempts)

    async def _finish(
        self, item: InboxItem, state: str, when: datetime, error: str, attempts: int | None = None
    ) -> None:
        async with self.db.transaction() as s:
            await queues.finish_inbox_item(
                s,
                item.id,
                state=state,
                attempts=attempts or item.attempts + 1,
                next_attempt_at=when,
                error=error[:200],
            )

    async def on_create(
        self, s: AsyncSession, peer: Peer, doc: dict[str, Any], now: datetime
    ) -> None:
        actor, object_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
        subnet_uri = id_of(doc.get("target")) or id_of(doc.get("audience"))
        if not actor or not object_uri or not subnet_uri or host_of(object_uri) != peer.host:
            raise Invalid("a Create must name its object (on the sender's node) and subnet")
        await posts.accept_remote_post(
            s,
            self.ids,
            peer=peer,
            author_uri=actor,
            object_uri=object_uri,
            subnet_uri=subnet_uri,
            published=_time(doc.get("published"), now),
            now=now,
            in_reply_to=_in_reply_to(doc),
        )

    async def on_announce(
        self, s: AsyncSession, peer: Peer, doc: dict[str, Any], now: datetime
    ) -> None:
        subnet_uri, object_uri = id_of(doc.get("actor")), id_of(doc.get("object"))
        if not subnet_uri or not object_uri:
            raise Invalid("an Announce must name its subnet and object")
        object_peer = await self.directory.peers.by_host(host_of(object_uri))
        if object_peer is None and not self.ids.is_local(object_uri):
            raise Invalid("the announced object lives on a node we do not federate with")
        await posts.record_announced(
            s,
            self.ids,
            peer=peer,
            subnet_uri=subnet_uri,
            object_uri=object_uri,
            object_peer=object_peer or peer,
            published=_time(doc.get("published"), now),
            now=now,
            in_reply_to=_in_reply_to(doc),
        )

    async def on_update(
        self, s: AsyncSession, peer: Peer, doc: dict[str, Any], now: datetime
    ) -> None:
        obj = doc.get("object")
        if not isinstance(obj, dict) or obj.get("id") != id_of(doc.get("actor")):
            return  # only self-updates of actor documents are understood so far
        try:
            actor = parse_actor({"@context": doc["@context"], **obj}, peer, now)
        except UnusableActor as error:
            raise Invalid(str(error)) from None
        before = await peer_store.remote_actor(s, actor.uri)
        await peer_store.save_remote_actor(s, actor)
        if actor.uri == peer.instance_actor and actor.public_key_pem:
            # Signed by the key we had pinned, the peer's node vouches for its new key.
            new_pin = fingerprint(load_public_pem(actor.public_key_pem))
            if new_pin != peer.key_fingerprint:
                await peer_store.repin(s, peer.id, new_pin)
                self.directory.peers.forget()
                log.info("peer %s rotated its keys; new key %s pinned", peer.host, new_pin)
        if before is not None:
            self.directory.retire(before)
