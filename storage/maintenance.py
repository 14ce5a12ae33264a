"""Keeping erased content out of the database files, not only out of its rows."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from storage import sqlite_inline
from storage.engine import Database


class CheckpointBusy(RuntimeError):
    """The write-ahead log could not be truncated: the database stayed busy throughout."""


async def checkpoint(db: Database) -> None:
    """On SQLite, copy the write-ahead log into the database and truncate it, so pages that
    held erased text are gone from the WAL file too. PostgreSQL needs nothing here.

    Truncating waits for every other connection's write and read of the log to end. SQLite
    does not wait for them itself here (these connections have no busy handler) and reports
    "busy" instead of an error, so the checkpoint is asked again, holding the node's turn,
    after asyncio sleeps, for up to `sqlite_inline.BUSY_WAIT` seconds; then `CheckpointBusy`
    (the housekeeping job counts a failed attempt and tries again)."""
    if not db.is_sqlite:
        return
    loop, pause = asyncio.get_running_loop(), 0.001
    deadline = loop.time() + sqlite_inline.BUSY_WAIT
    while True:
        async with db.transaction() as s:
            busy, _, _ = (await s.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
        if not busy:
            return
        if loop.time() >= deadline:
            raise CheckpointBusy("the write-ahead log stayed in use; it was not truncated")
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.1)
