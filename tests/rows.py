"""Rows, small databases and a statement counter for tests of `storage/`, `actors/` and the
queues that need no running node."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, event

from storage.engine import Database
from storage.models import Peer

NOTES = Table("notes", MetaData(), Column("id", Integer, primary_key=True), Column("text", String))


def peer_row(name: str, added_at: datetime) -> Peer:
    """An agreed peer at https://<name>.example."""
    return Peer(
        url=f"https://{name}.example",
        host=f"{name}.example",
        name=name.title(),
        instance_actor=f"https://{name}.example/actor",
        shared_inbox=f"https://{name}.example/inbox",
        key_fingerprint="-",
        added_at=added_at,
    )


@asynccontextmanager
async def notes_database(path: Path) -> AsyncIterator[Database]:
    """A SQLite database at `path` holding an empty `notes` table; closed at the end."""
    db = Database.connect(f"sqlite:///{path}")
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(NOTES.metadata.create_all)
        yield db
    finally:
        await db.close()


@contextmanager
def statements_run(db: Database) -> Iterator[list[str]]:
    """The SQL of every statement `db` runs inside the block, in order."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
