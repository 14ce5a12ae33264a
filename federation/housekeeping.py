"""Periodic work that keeps the privacy promises: retention and unacknowledged erasures.

Every `interval` the housekeeper erases content past each local subnet's retention period
(`actors/retention.py`) and re-sends every Delete a partner has not acknowledged within
`resend_after`, as a fresh delivery, until the partner's Accept of it arrives.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from actors.clock import Clock
from actors.ids import LocalIds
from actors.retention import run_retention
from federation.outbound import delete_activity
from storage import erasures, queues
from storage import peers as peer_store
from storage.engine import Database
from storage.maintenance import checkpoint
from storage.models import Delivery, new_id

log = logging.getLogger(__name__)


@dataclass
class Housekeeper:
    db: Database
    ids: LocalIds
    clock: Clock
    outbox_wake: asyncio.Event
    interval: timedelta = timedelta(minutes=1)
    resend_after: timedelta = timedelta(minutes=5)

    async def run(self) -> None:
        while True:
            try:
                await self.run_once(self.clock())
            except (SQLAlchemyError, OSError) as error:  # a busy or restarting database
                log.warning("housekeeping pass failed, will retry: %s", type(error).__name__)
            await asyncio.sleep(self.interval.total_seconds())

    async def run_once(self, now: datetime) -> tuple[int, int]:
        """One pass; returns (posts erased by retention, Deletes re-sent)."""
        async with self.db.transaction() as s:
            erased = await run_retention(s, self.ids, now)
        resent = await self.resend_erasures(now)
        await checkpoint(self.db)
        if erased or resent:
            log.info("housekeeping: retention erased=%s deletes resent=%s", erased, resent)
            self.outbox_wake.set()
        return erased, resent

    async def resend_erasures(self, now: datetime) -> int:
        async with self.db.transaction() as s:
            rows = await erasures.unacknowledged(s, sent_before=now - self.resend_after)
            deliveries = []
            for row in rows:
                peer = await peer_store.peer_by_id(s, row.peer_id)
                if peer is None or peer.state == "removed":
                    continue
                deliveries.append(
                    Delivery(
                        id=new_id(),
                        peer_id=peer.id,
                        inbox=peer.shared_inbox,
                        activity=delete_activity(
                            self.ids, row.object_uri, row.subnet_uri or row.object_uri
                        ),
                        signer=self.ids.instance,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                row.last_sent_at = now
            await queues.add_deliveries(s, deliveries)
        return len(deliveries)
