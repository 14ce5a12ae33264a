"""Outbound delivery: events from `actors/` become signed POSTs to peer nodes.

Two queues on the engine (federation/workers.py), each with its own worker. *Planning* claims
outbox events and, in one transaction per batch, asks each event's planner
(federation/activities/; a run of one kind at once where its family plans runs) for its
activities, writes one `delivery` row per recipient **node** (its shared inbox, never per
member) with one INSERT for the batch, and marks the events done — so an event is planned
exactly once; one event whose planner raises is retried alone.
*Sending* leases due deliveries, POSTs them with at most `per_peer` requests in flight to one
node (32: a peer's inbox group-commits what arrives together, so a busy subnet's Announces keep
pace with what it accepts; bench/federation.py, fan-out lag), and records every outcome in one
bulk write:

* 2xx → done; the peer's `last_success_at` is set and a peer marked `dead` is alive again.
* 401 after the double knock, 408, 429, 5xx, network errors, and any other exception while
  sending one row → retried with exponential backoff and jitter (30 s doubling, capped at a
  day); 429/503 `Retry-After` is honoured. Only that row loses an attempt.
* any other 4xx → failed for good (the peer understood and refused).
* a peer that has not answered a delivery through `DEAD_AFTER` attempts (about a quarter of
  an hour of backoff) is marked `dead`: its rows are skipped but for one probe per
  `DEAD_PROBE`; when a probe is answered the peer is alive again and its whole backlog is due
  at once. A row still undelivered after `MAX_ATTEMPTS` (about a week) is failed.

**Order per destination.** Each delivery carries an ordering key — the object its activity is
about — and is not claimed while an earlier delivery with the same key to the same peer is
pending (in flight or waiting to retry), so a Delete never overtakes the Create or Update of
its object, whatever the concurrency. Activities about different objects still go in parallel.

A crash between stages loses nothing: events and deliveries are rows, leases expire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actors.clock import Clock
from actors.ids import LocalIds
from federation.activities import dispatch
from federation.activities.context import Planning
from federation.client import SignedClient, preferred_scheme
from federation.keys import NodeKeys
from federation.remote import id_of
from federation.work_counts import WorkCounts
from federation.workers import Faults, Outcome, QueueWorker, RetryPolicy, Settled, no_faults
from storage import peers as peer_store
from storage import queues
from storage.engine import Database
from storage.models import Delivery, Event, Peer, new_id

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=45)  # longer than a send with its double knock (2 × 10 s)
PLANNING_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 16
PLANNING_ATTEMPTS = 8
PLANNING_CHUNK = 64  # a run of 64 accepted posts holds SQLite's write turn about as long as
# 16 inbox items (the engine's default chunk) do; each transaction's fixed statements are then
# shared by four times the events
DEAD_AFTER = 6
DEAD_PROBE = timedelta(minutes=10)
RETRYABLE = frozenset({401, 408, 429})
SENDING = RetryPolicy(max_attempts=MAX_ATTEMPTS)
PLANNING = RetryPolicy(max_attempts=PLANNING_ATTEMPTS, first=timedelta(seconds=5))


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Seconds or an HTTP date, per RFC 9110 §10.2.3."""
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=min(int(value), 86_400))
    try:
        return max(parsedate_to_datetime(value) - now, timedelta())
    except (TypeError, ValueError):
        return None


def ordering_key(activity: dict[str, Any]) -> str | None:
    """The object an activity is about (deliveries about one object keep their order)."""
    return id_of(activity.get("object"))


def new_delivery(
    peer: Peer, activity: dict[str, Any], signer: str, now: datetime
) -> dict[str, Any]:
    """The column values of a delivery of `activity` to `peer`'s shared inbox, due now (for
    `queues.add_deliveries`, which writes many at once)."""
    return {
        "id": new_id(),
        "peer_id": peer.id,
        "inbox": peer.shared_inbox,
        "activity": activity,
        "signer": signer,
        "ordering_key": ordering_key(activity),
        "next_attempt_at": now,
        "created_at": now,
    }


@dataclass
class Deliverer:
    """Owns the planning and sending queues; `fan_out` / `send_due` run one batch of each."""

    db: Database
    ids: LocalIds
    keys: NodeKeys
    client: SignedClient
    clock: Clock
    wake: asyncio.Event
    per_peer: int = 32
    faults: Faults = no_faults
    counts: WorkCounts = field(default_factory=WorkCounts)
    planning: QueueWorker[Event] = field(init=False)
    sending: QueueWorker[Delivery] = field(init=False)

    def __post_init__(self) -> None:
        self.sending = QueueWorker(_Sending(self), self.clock, batch=500, counts=self.counts)
        self.planning = QueueWorker(
            _Planning(self, self.sending.wake),
            self.clock,
            self.wake,
            counts=self.counts,
            chunk=PLANNING_CHUNK,
        )

    async def fan_out(self, limit: int = 200) -> int:
        self.planning.batch = limit
        return await self.planning.run_once()

    async def send_due(self, limit: int = 500) -> int:
        """Send one batch of due deliveries and record every outcome in one transaction."""
        self.sending.batch = limit
        return await self.sending.run_once()

    async def _plan(
        self, s: AsyncSession, events: Sequence[Event], now: datetime
    ) -> list[dict[str, Any]]:
        """The deliveries a batch of events calls for (possibly none), in event order."""
        for event in events:
            self.faults("planning", event)
        planned = await dispatch.plan_all(
            s, Planning(self.ids, self.keys), [(e.kind, e.payload) for e in events], now
        )
        return [
            new_delivery(peer, activity, signer, now)
            for triples in planned
            for peer, activity, signer in triples
        ]


@dataclass
class _Planning:
    """Outbox events → delivery rows, a batch per transaction."""

    deliverer: Deliverer
    sending_wake: asyncio.Event
    name: str = "planning"
    policy: RetryPolicy = PLANNING
    concurrent: bool = False

    async def claim(self, now: datetime, limit: int) -> Sequence[Event]:
        async with self.deliverer.db.transaction() as s:
            return await queues.claim_events(s, now, PLANNING_LEASE, limit)

    async def handle_batch(self, events: Sequence[Event]) -> Sequence[Outcome]:
        await self._plan_and_commit(events)
        return [Outcome.done(recorded=True)] * len(events)

    async def handle(self, event: Event) -> Outcome:
        await self._plan_and_commit([event])
        return Outcome.done(recorded=True)

    async def _plan_and_commit(self, events: Sequence[Event]) -> None:
        deliverer, now = self.deliverer, self.deliverer.clock()
        async with deliverer.db.transaction() as s:
            planned = await deliverer._plan(s, events, now)
            await queues.add_deliveries(s, planned)
            await queues.settle(
                s,
                Event,
                [
                    {"id": e.id, "state": "done", "attempts": e.attempts + 1, "locked_until": None}
                    for e in events
                ],
            )
        if planned:
            self.sending_wake.set()

    async def record(self, settled: Sequence[Settled[Event]], now: datetime) -> None:
        if settled:
            async with self.deliverer.db.transaction() as s:
                await queues.settle(s, Event, [item.values(item.row.id) for item in settled])


@dataclass
class _Sending:
    """Due deliveries → signed POSTs; peer health from the answers."""

    deliverer: Deliverer
    name: str = "delivery"
    policy: RetryPolicy = SENDING
    concurrent: bool = True
    peers: dict[str, Peer] = field(default_factory=dict)
    limits: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    async def claim(self, now: datetime, limit: int) -> Sequence[Delivery]:
        async with self.deliverer.db.transaction() as s:
            self.peers = {p.id: p for p in await peer_store.list_peers(s)}
            resting = [p.id for p in self.peers.values() if p.state in ("dead", "removed")]
            rows = await queues.claim_deliveries(s, now, LEASE, limit, skip_peers=resting)
            for peer in self.peers.values():
                if peer.state == "dead" and _probe_due(peer, now):
                    rows += await queues.claim_deliveries(s, now, LEASE, 1, peer_id=peer.id)
        return rows

    async def handle(self, row: Delivery) -> Outcome:
        peer = self.peers.get(row.peer_id)
        if peer is None or peer.state == "removed":
            return Outcome.failed("the peer was removed")
        self.deliverer.faults("delivery", row)
        limit = self.limits.setdefault(peer.id, asyncio.Semaphore(self.deliverer.per_peer))
        async with limit:
            try:
                response = await self.deliverer.client.post(
                    row.inbox,
                    row.activity,
                    signer=row.signer,
                    scheme=preferred_scheme(peer.signature_schemes),
                )
            except Exception as error:  # one failed attempt of this row (the engine counts it)
                log.info("delivery to %s failed: %s", peer.host, type(error).__name__)
                raise
        status = response.status
        if 200 <= status < 300:
            return Outcome.done(status=status)
        if status in RETRYABLE or status >= 500:
            delay = retry_after(response.retry_after, self.deliverer.clock())
            return Outcome.retry(delay=delay, error=f"HTTP {status}", status=status)
        log.info("delivery to %s refused for good: status=%s", peer.host, status)
        return Outcome.failed(f"HTTP {status}", status=status)

    async def record(self, settled: Sequence[Settled[Delivery]], now: datetime) -> None:
        finished: list[dict[str, object]] = []
        health: dict[str, dict[str, bool]] = {}
        for item in settled:
            row, outcome = item.row, item.outcome
            finished.append({**item.values(row.id), "last_status": outcome.status})
            answered = outcome.status is not None and outcome.status < 500
            seen = health.setdefault(row.peer_id, {"answered": False, "ok": False, "gone": False})
            seen["answered"] |= answered
            seen["ok"] |= outcome.state == "done"
            seen["gone"] |= not answered and item.attempts >= DEAD_AFTER
        async with self.deliverer.db.transaction() as s:
            await queues.settle(s, Delivery, finished)
            for peer_id, seen in health.items():
                peer = self.peers.get(peer_id)
                if peer is None:
                    continue
                if seen["answered"]:
                    await peer_store.note_answer(s, peer_id, now, success=seen["ok"])
                    if peer.state == "dead":
                        log.info("peer %s answers again; its backlog is due", peer.host)
                        await queues.release_deliveries(s, peer_id, now)
                else:
                    await peer_store.note_failure(s, peer_id, now, dead=seen["gone"])
                    if seen["gone"] and peer.state != "dead":
                        log.warning("peer %s marked dead; probing every %s", peer.host, DEAD_PROBE)


def _probe_due(peer: Peer, now: datetime) -> bool:
    return peer.last_failure_at is None or now - peer.last_failure_at >= DEAD_PROBE
