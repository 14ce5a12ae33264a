"""Database engine and unit-of-work factory.

SQLite (the default) runs with WAL, foreign keys on and a busy timeout; PostgreSQL goes through
asyncpg. One `Database` is built per app and passed explicitly to whatever needs it.
"""

from __future__ import annotations

import asyncio
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
    """An asyncio lock that the task holding it may enter again (nested units of work)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            yield
            return
        async with self._lock:
            self._owner = task
            try:
                yield
            finally:
                self._owner = None


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
    than the work; so on SQLite this process's units of work take turns on an asyncio lock
    instead, and never wait inside SQLite. PostgreSQL needs no such thing.
    """

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    _turns: TaskLock | None = field(default=None, compare=False)
    lease_owner: LeaseOwner = field(default_factory=LeaseOwner, compare=False)

    @classmethod
    def connect(cls, url: str) -> Database:
        engine = make_engine(url)
        turns = TaskLock() if engine.dialect.name == "sqlite" else None
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
