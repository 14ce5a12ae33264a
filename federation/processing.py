"""The inbox worker: turns stored, verified activities into calls on `actors/`.

A queue on the engine (federation/workers.py). Each activity is normalised
(federation/jsonld.py), then handled by its one `on_<type>` (federation/activities/); a batch
is handled in one transaction with its rows marked done in it (one commit per batch, each
activity processed exactly once). If anything in the batch fails, each item is redone in its
own transaction: a domain refusal (not a partner, not a member, malformed) marks that item
`rejected` with the reason; any other exception (a peer unreachable while we fetch a key, a
key that does not parse, a bug) costs that item one attempt, retried with backoff up to
`MAX_ATTEMPTS`, then `failed` with the error's type. Nothing is dropped silently and no item
holds up its neighbours.

A Delete is remembered for `KEEP_DELETES` even when its object is unknown here: a Create,
Announce or Update of that object arriving later (overtaken in flight) is refused, so a
deleted post cannot come back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actors.clock import Clock
from actors.errors import ActorError, Invalid
from actors.ids import LocalIds
from actors.reports import Thresholds
from federation.activities import dispatch
from federation.activities.context import Handling
from federation.cache import TTLCache
from federation.jsonld import MalformedDocument, normalise
from federation.remote import Directory, id_of
from federation.work_counts import WorkCounts
from federation.workers import Faults, Outcome, QueueWorker, RetryPolicy, Settled, no_faults
from storage import heard_deletes, queues
from storage.engine import Database
from storage.models import InboxItem, Peer

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 12
KEEP_DELETES = timedelta(days=14)  # longer than a sender retries a delivery (about a week)
POLICY = RetryPolicy(max_attempts=MAX_ATTEMPTS)


def _revives(doc: dict[str, Any]) -> str | None:
    """The object a Create, Announce or Update (of anything but its actor) would bring back."""
    kind, object_uri = doc.get("type"), id_of(doc.get("object"))
    if kind in ("Create", "Announce") or (
        kind == "Update" and object_uri != id_of(doc.get("actor"))
    ):
        return object_uri
    return None


@dataclass
class Processor:
    db: Database
    ids: LocalIds
    directory: Directory
    clock: Clock
    wake: asyncio.Event
    outbox_wake: asyncio.Event
    content_cache: TTLCache[Any] | None = None
    faults: Faults = no_faults
    counts: WorkCounts = field(default_factory=WorkCounts)
    name: str = "processing"
    policy: RetryPolicy = POLICY
    concurrent: bool = False
    report_thresholds: Thresholds = field(default_factory=Thresholds)
    handling: Handling = field(init=False)
    worker: QueueWorker[InboxItem] = field(init=False)

    def __post_init__(self) -> None:
        self.handling = Handling(
            self.ids, self.directory, self.content_cache, self.report_thresholds
        )
        self.worker = QueueWorker(self, self.clock, self.wake, idle=1.0, counts=self.counts)

    @property
    def handlers(self) -> frozenset[str]:
        """The activity types this worker handles (the inbox accepts exactly these)."""
        return frozenset(key.split(" ")[0] for key in dispatch.HANDLERS)

    async def run_once(self, limit: int = 200) -> int:
        """Process one batch of due items; returns how many were taken."""
        self.worker.batch = limit
        return await self.worker.run_once()

    async def claim(self, now: datetime, limit: int) -> Sequence[InboxItem]:
        async with self.db.transaction() as s:
            return await queues.claim_inbox_items(s, now, LEASE, limit)

    async def handle_batch(self, items: Sequence[InboxItem]) -> Sequence[Outcome]:
        """All items in one transaction, marked done in it; raises if any one fails."""
        now = self.clock()
        prepared = [(item, normalise(item.activity)) for item in items]
        async with self.db.transaction() as s:
            await self._handle(s, prepared, now)
            await self._mark_done(s, items, now)
        self.outbox_wake.set()
        return [Outcome.done(recorded=True)] * len(items)

    async def handle(self, item: InboxItem) -> Outcome:
        """One item in its own transaction; a domain refusal is `rejected` with its reason."""
        now = self.clock()
        try:
            document = normalise(item.activity)
            async with self.db.transaction() as s:
                await self._handle(s, [(item, document)], now)
                await self._mark_done(s, [item], now)
        except (ActorError, MalformedDocument) as error:
            log.info("inbox item rejected: type=%s reason=%s", type(error).__name__, error)
            return Outcome.rejected(str(error))
        self.outbox_wake.set()
        return Outcome.done(recorded=True)

    async def record(self, settled: Sequence[Settled[InboxItem]], now: datetime) -> None:
        if settled:
            async with self.db.transaction() as s:
                await queues.settle(s, InboxItem, [item.values(item.row.id) for item in settled])

    async def _mark_done(self, s: AsyncSession, items: Sequence[InboxItem], now: datetime) -> None:
        await queues.settle(
            s,
            InboxItem,
            [
                {
                    "id": item.id,
                    "state": "done",
                    "attempts": item.attempts + 1,
                    "next_attempt_at": now,
                    "locked_until": None,
                    "last_error": None,
                }
                for item in items
            ],
        )

    async def _handle(
        self, s: AsyncSession, prepared: Sequence[tuple[InboxItem, dict[str, Any]]], now: datetime
    ) -> None:
        """Check each activity in order (its peer still agreed; not reviving an object deleted
        before it, here or earlier in the batch), then hand them all to their handlers."""
        deleted = await heard_deletes.heard(
            s, [uri for _, doc in prepared if (uri := _revives(doc))]
        )
        admitted: list[tuple[Peer, dict[str, Any]]] = []
        gone_now: list[tuple[str, str]] = []
        for item, document in prepared:
            self.faults("processing", item)
            peer = await self.directory.peers.by_id(item.peer_id)
            if peer is None:
                raise Invalid("the sending peer is no longer agreed")
            revived = _revives(document)
            if revived is not None and revived in deleted:
                raise Invalid("the object was deleted")
            if document.get("type") == "Delete" and (gone := id_of(document.get("object"))):
                deleted.add(gone)
                gone_now.append((gone, peer.id))
            admitted.append((peer, document))
        await dispatch.handle_all(s, self.handling, admitted, now)
        for gone, peer_id in gone_now:
            await heard_deletes.remember(s, gone, peer_id, now + KEEP_DELETES)
