"""What the hash chain costs: audit appends per second and entries verified per second.

Run from the project root: ``.venv/bin/python bench/audit_chain.py [--entries N]`` (N = 2,000
by default; set SHARON_BENCH_DATABASE_URL to an empty PostgreSQL database to measure there).
Prints figures and asserts nothing. Appends are measured one per transaction (a staff action)
and many per transaction (a batch of partner reads), from one task and from eight at once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from storage import audit
from storage.engine import Database
from storage.migrate import upgrade

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def _append(db: Database, n: int, per_transaction: int) -> None:
    for start in range(0, n, per_transaction):
        async with db.transaction() as s:
            for i in range(start, min(n, start + per_transaction)):
                await audit.record(s, at=AT, who="bench", action="bench.read", target=str(i))


async def main(entries: int, url: str) -> None:
    await asyncio.to_thread(upgrade, url)
    db = Database.connect(url)
    try:
        for label, tasks, per in (
            ("one per transaction, 1 task", 1, 1),
            ("one per transaction, 8 tasks", 8, 1),
            ("50 per transaction, 1 task", 1, 50),
        ):
            began = time.perf_counter()
            await asyncio.gather(*(_append(db, entries // tasks, per) for _ in range(tasks)))
            took = time.perf_counter() - began
            print(f"append, {label}: {entries / took:,.0f} entries/s")
        async with db.transaction() as s:
            began = time.perf_counter()
            check = await audit.verify(s)
            took = time.perf_counter() - began
        print(f"verify: {check.entries:,} entries in {took:.2f} s ({check.entries / took:,.0f}/s)")
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = os.environ.get("SHARON_BENCH_DATABASE_URL") or f"sqlite:///{directory}/bench.sqlite3"
        asyncio.run(main(args.entries, url))
