"""SQLite connections whose statements run on the event loop's own thread.

aiosqlite runs every statement on a thread of its own and hands the result back through the
event loop, so each step of a unit of work waits for the loop to come round again. Under load
(an inbox serving dozens of requests, a worker sending deliveries) that wait, not SQLite, was
most of how long a unit of work held the node's one writer turn (README "Speed"): a two-
statement queue claim held it 5 ms, a chunk of 16 inbox items 50 ms.

These connections give SQLAlchemy's `aiosqlite` dialect (through `create_async_engine`'s
`async_creator`) the same awaitable interface, but each call runs `sqlite3` directly and
returns without suspending: a unit of work that awaits nothing but the database runs from
start to commit in one step of the loop, and holds the turn for its own time only. SQLite on a
local file answers an indexed statement in microseconds; what blocks the loop is what the turn
already made others wait for.

The one wait that must not block the loop is SQLite's busy handler (another connection holds
the write lock: a second `Database` on the file in this process, a command run beside the
node, a checkpoint). These connections have `busy_timeout` 0; a statement or commit refused
with `SQLITE_BUSY` (or its recovery and timeout variants) is retried after an asyncio sleep
(0.1 ms doubling to 10 ms) until `BUSY_WAIT` seconds have passed, then the error is raised as
before. `SQLITE_BUSY_SNAPSHOT` and every other error are raised at once. (A checkpoint reports
"busy" in its result instead: storage/maintenance.py waits for it the same way.)
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

BUSY_WAIT = 10.0
_SQLITE_BUSY = 5
_SQLITE_BUSY_SNAPSHOT = 517  # a stale read snapshot: waiting cannot help


def _waits(error: sqlite3.OperationalError) -> bool:
    """Whether waiting may cure the error: `SQLITE_BUSY` and its extended codes (recovery,
    timeout), but not `SQLITE_BUSY_SNAPSHOT`."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == _SQLITE_BUSY and code != _SQLITE_BUSY_SNAPSHOT


async def _retrying(call: Callable[[], T]) -> T:
    loop, pause, deadline = asyncio.get_running_loop(), 0.0001, None
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _waits(error):
                raise
            deadline = deadline or loop.time() + BUSY_WAIT
            if loop.time() >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.01)


class InlineCursor:
    """The part of `aiosqlite.Cursor` SQLAlchemy's adapter uses."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        cursor = self._cursor
        if parameters is None:
            await _retrying(lambda: cursor.execute(sql))
        else:
            await _retrying(lambda: cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> InlineCursor:
        materialised = list(rows)
        await _retrying(lambda: self._cursor.executemany(sql, materialised))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany() if size is None else self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """The part of `aiosqlite.Connection` SQLAlchemy's adapter uses, run on the caller's
    thread. `_connection` is the `sqlite3` connection, None once closed (the adapter reads
    it to skip a commit or rollback on a closed connection)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("Connection closed")
        return self._connection

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._open().cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await _retrying(self._open().commit)

    async def rollback(self) -> None:
        self._open().rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._open().create_function(*args, **kw)


def creator(path: str) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine`: a new inline connection to `path`, with
    whose engine must set `busy_timeout` 0 (waits for the write lock happen in `_retrying`)."""

    async def connect() -> InlineConnection:
        return InlineConnection(sqlite3.connect(path, check_same_thread=False))

    return connect
