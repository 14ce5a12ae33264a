"""Erasing private messages past the node's `message_retention_days`, once a minute.

Messages never leave the node, so this job lives here beside the node's wiring rather than
among the federation worker's housekeeping jobs: no federation code ever handles a message.
"""

from __future__ import annotations

import asyncio
import logging

from actors import messages
from actors.clock import Clock
from storage.engine import Database

log = logging.getLogger(__name__)
EVERY_SECONDS = 60.0


async def run(db: Database, clock: Clock, days: int, every: float = EVERY_SECONDS) -> None:
    """Forever: erase what is past retention, then wait (a supervisor restarts it if it dies)."""
    while True:
        async with db.transaction() as s:
            erased = await messages.erase_expired(s, now=clock(), days=days)
        if erased:
            log.info("message retention: erased=%s", erased)
        await asyncio.sleep(every)
