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
            if not await self.run_once():
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=1.0)
                except TimeoutError:
                    pass

    async def run_once(self, limit: int = 200) -> int:
        """Process one batch of due items; returns how many were taken."""
        async with self.db.transaction() as s:
            items = list(await queues.claim_inbox_items(s, self.clock(), LEASE, limit))
        for item in items:
            await self._process(item)
        return len(items)

    async def _process(self, item: InboxItem) -> None:
        now = self.clock()
        try:
            document = normalise(item.activity)
            handler = self.handlers.get(str(document.get("type")))
            async with self.db.transaction() as s:
                peer = await peer_store.peer_by_id(s, item.peer_id)
                if peer is None:
                    raise Invalid("the sending peer is no longer agreed")
                if handler is not None:
                    await handler(s, peer, document, now)
                await queues.finish_inbox_item(
                    s,
                    item.id,
                    state="done",
                    attempts=item.attempts + 1,
                    next_attempt_at=now,
                    error=None,
                )
            self.outbox_wake.set()
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
        object_peer = await peer_store.peer_by_host(s, host_of(object_uri))
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
        await peer_store.save_remote_actor(s, actor)
        self.directory.keys.drop([key for key in (actor.key_id, actor.ed25519_key_id) if key])
