"""Periodic work that keeps the privacy promises: retention and unacknowledged erasures.

Two periodic jobs on the engine (federation/workers.py), each run every `interval` (one at a
time) and kept alive whatever one pass raises: *retention* erases content past each local
subnet's retention period (`actors/retention.py`); *housekeeping* re-sends every Delete a
partner has not acknowledged within `resend_after`, as a fresh delivery, until the partner's
Accept of it arrives, forgets Deletes heard long enough ago, and checkpoints SQLite's WAL.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from actors.clock import Clock
from actors.ids import LocalIds
from actors.retention import run_retention
from federation.activities.posts import delete_activity
from federation.delivery import new_delivery
from federation.work_counts import WorkCounts
from federation.workers import Faults, Periodic, no_faults
from storage import delete_acks, heard_deletes, queues
from storage import peers as peer_store
from storage.engine import Database
from storage.maintenance import checkpoint

log = logging.getLogger(__name__)


@dataclass
class Housekeeper:
    db: Database
    ids: LocalIds
    clock: Clock
    outbox_wake: asyncio.Event
    interval: timedelta = timedelta(minutes=1)
    resend_after: timedelta = timedelta(minutes=5)
    faults: Faults = no_faults
    counts: WorkCounts = field(default_factory=WorkCounts)
    _one_at_a_time: asyncio.Lock = field(default_factory=asyncio.Lock)

    def jobs(self) -> list[Periodic]:
        """The periodic jobs to run (each supervised on its own)."""
        return [
            Periodic("retention", self.retention, self.clock, self.interval, counts=self.counts),
            Periodic("housekeeping", self.tidy, self.clock, self.interval, counts=self.counts),
        ]

    async def run_once(self, now: datetime) -> tuple[int, int]:
        """One pass of both jobs; returns (posts erased by retention, Deletes re-sent)."""
        return await self.retention(now), await self.tidy(now)

    async def retention(self, now: datetime) -> int:
        self.faults("retention", now)
        async with self._one_at_a_time, self.db.transaction() as s:
            erased = await run_retention(s, self.ids, now)
        if erased:
            log.info("housekeeping: retention erased=%s", erased)
            self.outbox_wake.set()
        return erased

    async def tidy(self, now: datetime) -> int:
        """Re-send unacknowledged Deletes, forget old heard Deletes, checkpoint SQLite."""
        self.faults("housekeeping", now)
        async with self._one_at_a_time:  # the checkpoint must not wait on retention's writes
            resent = await self.resend_erasures(now)
            async with self.db.transaction() as s:
                await heard_deletes.forget_expired(s, now)
            await checkpoint(self.db)
        if resent:
            log.info("housekeeping: deletes resent=%s", resent)
            self.outbox_wake.set()
        return resent

    async def resend_erasures(self, now: datetime) -> int:
        async with self.db.transaction() as s:
            rows = await delete_acks.unacknowledged(s, sent_before=now - self.resend_after)
            deliveries = []
            for row in rows:
                peer = await peer_store.peer_by_id(s, row.peer_id)
                if peer is None or peer.state == "removed":
                    continue
                activity = delete_activity(
                    self.ids, row.object_uri, row.subnet_uri or row.object_uri
                )
                deliveries.append(new_delivery(peer, activity, self.ids.instance, now))
                row.last_sent_at = now
            await queues.add_deliveries(s, deliveries)
        return len(deliveries)
