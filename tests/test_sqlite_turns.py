"""A SQLite node's processes take turns on one lock file instead of sleeping in SQLite."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from storage.engine import Database

HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
"""


async def test_a_unit_of_work_waits_while_another_process_holds_the_turn(tmp_path: Path) -> None:
    database = tmp_path / "sharon.sqlite3"
    db = Database.connect(f"sqlite:///{database}")
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        f"{database}-turns",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert await holder.stdout.readline() == b"held\n"
        entered = asyncio.Event()

        async def work() -> None:
            async with db.transaction():
                entered.set()

        task = asyncio.create_task(work())
        await asyncio.sleep(0.5)
        assert not entered.is_set()
        holder.stdin.write(b"\n")
        await holder.stdin.drain()
        await asyncio.wait_for(task, 30)
        assert entered.is_set()
    finally:
        if holder.returncode is None:
            holder.kill()
        await holder.wait()
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
