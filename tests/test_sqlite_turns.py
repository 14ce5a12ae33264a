"""A SQLite node's processes take turns on one lock file instead of sleeping in SQLite."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from rows import NOTES, notes_database
from sqlalchemy import insert, text
from sqlalchemy.exc import OperationalError

from storage.engine import Database

ROOT = Path(__file__).resolve().parents[1]
HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
"""


@asynccontextmanager
async def _turn_held_elsewhere(database: Path) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Another process holding the whole turns file (both bytes) from entry until the
    `release()` this yields is awaited (or the block ends)."""
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        f"{database}-turns",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdin is not None and holder.stdout is not None
    stdin = holder.stdin

    async def release() -> None:
        stdin.write(b"\n")
        await stdin.drain()

    try:
        assert await holder.stdout.readline() == b"held\n"
        yield release
    finally:
        if holder.returncode is None:
            holder.kill()
        await holder.wait()


def _unit_of_work(db: Database) -> tuple[asyncio.Task[None], asyncio.Event]:
    """A unit of work started in the background, and the event it sets once inside it."""
    entered = asyncio.Event()

    async def work() -> None:
        async with db.transaction():
            entered.set()

    return asyncio.create_task(work()), entered


async def test_a_unit_of_work_waits_while_another_process_holds_the_turn(tmp_path: Path) -> None:
    database = tmp_path / "sharon.sqlite3"
    db = Database.connect(f"sqlite:///{database}")
    try:
        async with _turn_held_elsewhere(database) as release:
            task, entered = _unit_of_work(db)
            await asyncio.sleep(0.5)
            assert not entered.is_set()
            await release()
            await asyncio.wait_for(task, 30)
            assert entered.is_set()
    finally:
        await db.close()


async def test_units_of_work_in_one_process_still_nest_and_take_turns(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'sharon.sqlite3'}")
    order: list[str] = []

    async def work(name: str) -> None:
        async with db.transaction():
            async with db.transaction():  # the task holding the turn may enter again
                order.append(f"{name} in")
                await asyncio.sleep(0.01)
                order.append(f"{name} out")

    try:
        await asyncio.gather(work("a"), work("b"))
    finally:
        await db.close()
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


BUSY = """
import asyncio, sys
from storage.engine import TaskLock

async def main() -> None:
    lock = TaskLock(sys.argv[1])
    turns = 0
    while True:
        async with lock.hold():
            turns += 1
            if turns == 1:
                print("busy", flush=True)
            await asyncio.sleep(0.005)

asyncio.run(main())
"""


async def test_a_process_that_takes_turns_back_to_back_does_not_starve_another(
    tmp_path: Path,
) -> None:
    """The other process ends a turn and asks for the next at once, every 5 ms; ours still gets
    a turn promptly (it waits in line), not after `FILE_WAIT`."""
    database = tmp_path / "sharon.sqlite3"
    db = Database.connect(f"sqlite:///{database}")
    busy = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        BUSY,
        f"{database}-turns",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert busy.stdout is not None
        assert await asyncio.wait_for(busy.stdout.readline(), 30) == b"busy\n"
        loop = asyncio.get_running_loop()
        waits = []
        for _ in range(20):
            started = loop.time()
            async with db.transaction():
                waits.append(loop.time() - started)
        assert max(waits) < 0.25, sorted(waits)[-3:]
    finally:
        busy.kill()
        await busy.wait()
        await db.close()


async def test_reading_goes_ahead_while_another_process_holds_the_turn_and_refuses_writes(
    tmp_path: Path,
) -> None:
    database = tmp_path / "sharon.sqlite3"
    db = Database.connect(f"sqlite:///{database}")
    async with db.transaction() as s:
        await s.execute(text("CREATE TABLE note (body TEXT)"))
        await s.execute(text("INSERT INTO note VALUES ('kept')"))
    async with _turn_held_elsewhere(database):
        async with asyncio.timeout(5), db.reading() as s:
            assert (await s.execute(text("SELECT body FROM note"))).scalars().all() == ["kept"]
        with pytest.raises(OperationalError, match="readonly"):
            async with db.reading() as s:
                await s.execute(text("INSERT INTO note VALUES ('lost')"))
    async with db.reading() as s:
        assert (await s.execute(text("SELECT body FROM note"))).scalars().all() == ["kept"]
    await db.close()


async def test_a_batch_write_waits_for_the_turn_while_reads_go_on_and_returns_its_rows(
    tmp_path: Path,
) -> None:
    """`write_many` (the inbox's group commit) waits while another process holds the node's
    turn, reads (the inbox's checks) go on meanwhile, and the rows go in, together, once the
    turn is free."""
    database = tmp_path / "sharon.sqlite3"
    async with notes_database(database) as db, _turn_held_elsewhere(database) as release:
        write = asyncio.create_task(
            db.write_many(insert(NOTES).returning(NOTES.c.text), [{"text": "a"}, {"text": "b"}])
        )
        await asyncio.sleep(0.5)
        async with asyncio.timeout(5), db.reading() as s:
            assert (await s.execute(text("SELECT count(*) FROM notes"))).scalar() == 0
        assert not write.done()
        await release()
        assert sorted(row[0] for row in await asyncio.wait_for(write, 30)) == ["a", "b"]
        async with db.reading() as s:
            assert (await s.execute(text("SELECT count(*) FROM notes"))).scalar() == 2


async def test_a_cancelled_batch_write_keeps_the_turn_until_its_thread_is_done(
    tmp_path: Path,
) -> None:
    """Cancelling the caller cannot free this process's turn while the writer thread still
    works: another unit of work of this process waits for the thread, then goes ahead."""
    database = tmp_path / "sharon.sqlite3"
    async with notes_database(database) as db:
        async with _turn_held_elsewhere(database) as release:
            write = asyncio.create_task(db.write_many(insert(NOTES), [{"text": "late"}]))
            await asyncio.sleep(0.2)
            write.cancel()
            neighbour, entered = _unit_of_work(db)
            await asyncio.sleep(0.3)
            assert not entered.is_set()
            await release()
            await asyncio.wait_for(neighbour, 30)
            with pytest.raises(asyncio.CancelledError):
                await write
        async with db.reading() as s:
            assert (await s.execute(text("SELECT text FROM notes"))).scalars().all() == ["late"]
