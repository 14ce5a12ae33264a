"""A SQLite unit of work runs on the event loop's thread and never blocks it waiting for a
lock (storage/sqlite_inline.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from rows import NOTES, notes_database
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import OperationalError

from storage import sqlite_inline
from storage.engine import Database
from storage.maintenance import CheckpointBusy, checkpoint


@contextmanager
def _write_lock_held(database: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding SQLite's write lock (as a command run beside the node
    could), until it commits or rolls back; closed at the end."""
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


@asynccontextmanager
async def _loop_ticks() -> AsyncIterator[Callable[[], int]]:
    """How many times the event loop has come round to a task that only yields."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(tick())
    await asyncio.sleep(0)
    try:
        yield lambda: ticks
    finally:
        task.cancel()


async def test_a_unit_of_work_runs_from_first_statement_to_commit_without_yielding(
    tmp_path: Path,
) -> None:
    """Forty statements and the commit complete while no other task runs: nothing a unit of
    work holds (the node's turn) waits for the event loop to come back."""
    async with notes_database(tmp_path / "sharon.sqlite3") as db, _loop_ticks() as ticks:
        at_commit: list[int] = []
        async with db.transaction() as s:
            event.listen(s.sync_session, "after_commit", lambda _: at_commit.append(ticks()))
            before = ticks()
            for n in range(20):
                await s.execute(insert(NOTES).values(text=f"note {n}"))
                assert await s.scalar(select(func.count()).select_from(NOTES)) == n + 1
        assert at_commit == [before]
        async with db.reading() as s:
            assert await s.scalar(select(func.count()).select_from(NOTES)) == 20


async def test_a_write_refused_as_busy_waits_with_the_loop_running_then_goes_in(
    tmp_path: Path,
) -> None:
    """Another connection holds SQLite's write lock (as a command run beside the node could):
    the unit of work waits for it without freezing the loop, and its row goes in once the
    lock is given up."""
    database = tmp_path / "sharon.sqlite3"

    async def write(db: Database) -> None:
        async with db.transaction() as s:
            await s.execute(insert(NOTES).values(text="waited"))

    async with notes_database(database) as db, _loop_ticks() as ticks:
        with _write_lock_held(database) as other:
            task = asyncio.create_task(write(db))
            before = ticks()
            await asyncio.sleep(0.3)
            assert not task.done()
            assert ticks() - before > 100
            other.execute("COMMIT")
        await asyncio.wait_for(task, 10)
        async with db.reading() as s:
            assert (await s.execute(select(NOTES.c.text))).scalars().all() == ["waited"]


def _size(path: Path) -> int:
    return path.stat().st_size


async def test_a_checkpoint_waits_for_a_busy_writer_then_empties_the_log(tmp_path: Path) -> None:
    """Erased text must leave the write-ahead log: with another connection writing, the
    checkpoint waits (the loop running) and truncates the log once it is done."""
    database = tmp_path / "sharon.sqlite3"
    async with notes_database(database) as db, _loop_ticks() as ticks:
        async with db.transaction() as s:
            await s.execute(insert(NOTES), [{"text": "erased"}] * 50)
        with _write_lock_held(database) as other:
            release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
            release.start()
            before = ticks()
            await checkpoint(db)
            release.join()
        assert ticks() - before > 100
        assert _size(Path(f"{database}-wal")) == 0


async def _write_lost(db: Database) -> None:
    async with db.transaction() as s:
        await s.execute(insert(NOTES).values(text="lost"))


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (_write_lost, OperationalError, "database is locked"),
        (checkpoint, CheckpointBusy, "stayed in use"),
    ],
    ids=["write", "checkpoint"],
)
async def test_still_busy_after_the_wait_is_a_clear_error_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    action: Callable[[Database], Awaitable[None]],
    error: type[Exception],
    message: str,
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_WAIT", 0.2)
    database = tmp_path / "sharon.sqlite3"
    async with notes_database(database) as db:
        with _write_lock_held(database), pytest.raises(error, match=message):
            await action(db)
        async with db.reading() as s:
            assert await s.scalar(select(func.count()).select_from(NOTES)) == 0


async def test_a_relative_database_path_is_the_same_file_after_a_change_of_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = Database.connect("sqlite:///sharon.sqlite3")
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(NOTES.metadata.create_all)
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")
        await db.engine.dispose()  # the next unit of work opens a new connection
        async with db.transaction() as s:
            await s.execute(insert(NOTES).values(text="found"))
        assert not (tmp_path / "elsewhere" / "sharon.sqlite3").exists()
    finally:
        await db.close()
