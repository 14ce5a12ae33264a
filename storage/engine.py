"""Database engine and unit-of-work factory.

SQLite (the default) runs with WAL, foreign keys on and a busy timeout; PostgreSQL goes through
asyncpg. One `Database` is built per app and passed explicitly to whatever needs it.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Result, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry


def async_url(url: str) -> str:
    """Map the user-facing URL (`sqlite:///…`, `postgresql://…`) to its async driver."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def rows_affected(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an INSERT, UPDATE or DELETE run through a session changed.

    `AsyncSession.execute` is typed to return a plain `Result`; for DML it is a `CursorResult`,
    the one that carries `rowcount`."""
    return int(cast(CursorResult[*tuple[Any, ...]], result).rowcount or 0)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    """An engine for `url`; SQLite gets its pragmas on every new connection."""
    kwargs: dict[str, Any] = {}
    full = async_url(url)
    if full.startswith("sqlite"):
        kwargs["pool_size"] = 4
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 10
    engine = create_async_engine(full, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class TaskLock:
    """An asyncio lock that the task holding it may enter again (nested units of work); with a
    `file`, the outermost holder also takes a POSIX record lock on it, so that the processes
    of one node (`sharon serve`'s web and worker processes, a CLI command run beside them)
    take turns too.

    The file lock is polled (every 0.2 ms, growing to 2 ms), never waited on in a thread, so a
    cancelled waiter leaves nothing behind. After `FILE_WAIT` seconds without it, the unit of
    work goes ahead and SQLite's own busy handler decides, as if there were no file lock. POSIX
    locks belong to a process, so two `Database`s of one file in one process (a test reading a
    node's file) do not exclude each other, exactly as before this lock existed."""

    FILE_WAIT = 10.0

    def __init__(self, file: str | None = None) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None
        self._file = file
        self._fd: int | None = None

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            yield
            return
        async with self._lock:
            locked = await self._lock_file()
            self._owner = task
            try:
                yield
            finally:
                self._owner = None
                if locked and self._fd is not None:
                    fcntl.lockf(self._fd, fcntl.LOCK_UN)

    async def _lock_file(self) -> bool:
        if self._file is None:
            return False
        if self._fd is None:
            self._fd = os.open(self._file, os.O_RDWR | os.O_CREAT, 0o600)
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + self.FILE_WAIT, 0.0002
        while True:
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as error:
                if error.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.002)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def turns_file(engine: AsyncEngine) -> str | None:
    """The file beside a SQLite database whose lock its processes take turns on (None for an
    in-memory database)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-turns"


@dataclass
class LeaseOwner:
    """Who this process's queue claims say holds their leases (storage/queues.py): on
    PostgreSQL the server pid of its listening connection (storage/notify.py), read afresh at
    every claim since a reconnection changes it; else nobody."""

    source: Callable[[], int | None] = lambda: None

    @property
    def pid(self) -> int | None:
        return self.source()


@dataclass(frozen=True)
class Database:
    """An engine and its session factory; `db.transaction()` is one unit of work.

    SQLite has one writer at a time. Left to itself, a second writer on another connection
    sleeps in SQLite's busy handler (1, 2, 5 … 100 ms steps), which under load cost far more
    than the work; so on SQLite this process's units of work take turns on an asyncio lock,
    and the node's processes on a lock file beside the database (`TaskLock`), and do not wait
    inside SQLite. PostgreSQL needs no such thing.
    """

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    _turns: TaskLock | None = field(default=None, compare=False)
    lease_owner: LeaseOwner = field(default_factory=LeaseOwner, compare=False)

    @classmethod
    def connect(cls, url: str) -> Database:
        engine = make_engine(url)
        turns = TaskLock(turns_file(engine)) if engine.dialect.name == "sqlite" else None
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False), turns)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Commit on success, roll back on any error: nothing is ever half-written."""
        if self._turns is None:
            async with self.sessions() as session, session.begin():
                session.info["lease_owner"] = self.lease_owner.pid
                yield session
            return
        async with self._turns.hold(), self.sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
        if self._turns is not None:
            self._turns.close()
