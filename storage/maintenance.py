"""Keeping erased content out of the database files, not only out of its rows."""

from __future__ import annotations

from storage.engine import Database


async def checkpoint(db: Database) -> None:
    """On SQLite, copy the write-ahead log into the database and truncate it, so pages that
    held erased text are gone from the WAL file too. PostgreSQL needs nothing here."""
    if not db.is_sqlite:
        return
    async with db.engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        await connection.commit()
