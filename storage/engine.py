"""Database engine and unit-of-work factory.

SQLite (the default) runs with WAL, foreign keys on and a busy timeout; PostgreSQL goes through
asyncpg. One `Database` is built per app and passed explicitly to whatever needs it.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import (
    CursorResult,
    Engine,
    Executable,
    Result,
    Row,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from storage import sqlite_inline

T = TypeVar("T")


def async_url(url: str) -> str:
    """Map the user-facing URL (`sqlite:///…`, `postgresql://…`) to its async driver."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def insert_or(s: AsyncSession, table: Any) -> PgInsert | SqliteInsert:
    """An INSERT into `table` (a model or Table) in the session's own dialect, which takes
    `on_conflict_do_nothing` / `on_conflict_do_update` (SQLite and PostgreSQL spell the
    clause alike; `excluded` names the row that was offered)."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table)


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


def _no_busy_handler(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")  # storage/sqlite_inline.py waits without blocking
    cursor.close()


def _sqlite_query_only(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def make_engine(url: str, *, query_only: bool = False) -> AsyncEngine:
    """An engine for `url`; SQLite gets its pragmas on every new connection, and with
    `query_only` refuses any write ("attempt to write a readonly database"). A SQLite file's
    statements run on the event loop's thread (storage/sqlite_inline.py)."""
    kwargs: dict[str, Any] = {}
    full = async_url(url)
    if full.startswith("sqlite"):
        kwargs["pool_size"] = 4
        path = sqlite_file(make_url(full).database)
        if path is not None:
            kwargs["async_creator"] = sqlite_inline.creator(os.path.abspath(path))
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 10
    engine = create_async_engine(full, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if "async_creator" in kwargs:
            event.listen(engine.sync_engine, "connect", _no_busy_handler)
        if query_only:
            event.listen(engine.sync_engine, "connect", _sqlite_query_only)
    return engine


class TaskLock:
    """An asyncio lock that the task holding it may enter again (nested units of work); with a
    `file`, the outermost holder also takes a POSIX record lock on it, so that the processes
    of one node (`sharon serve`'s web and worker processes, a CLI command run beside them)
    take turns too.

    Two bytes of the file are locked: the turn (byte 0) and the place next in line (byte 1).
    A process takes the place in line, then the turn, then gives up its place; so a process
    that has just ended its turn cannot take it straight back while another waits in line,
    and two busy processes alternate instead of one starving the other.

    The file locks are polled (every 0.1 ms, growing to 1 ms), never waited on in a thread,
    so a cancelled waiter leaves nothing behind. After `FILE_WAIT` seconds without the turn,
    the unit of work goes ahead and SQLite's own busy handler decides, as if there were no
    file lock. POSIX locks belong to a process, so two `Database`s of one file in one process
    (a test reading a node's file) do not exclude each other."""

    FILE_WAIT = 10.0
    TURN, IN_LINE = 0, 1

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
                    fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self.TURN)

    async def run_holding(self, work: Callable[[], T], thread: ThreadPoolExecutor) -> T:
        """Run `work` on `thread` holding this process's turn, and the node's turn (the lock
        file) taken and given back on that thread around `work` alone. The turn is then held
        for the database's own time only, not for however long this process's event loop,
        busy with other requests, takes to come back to each step of a transaction. If the
        caller is cancelled, the turn is still held until `work` has finished."""
        async with self._lock:
            future = asyncio.get_running_loop().run_in_executor(thread, self._in_turn, work)
            try:
                return await asyncio.shield(future)
            finally:
                if not future.done():
                    await asyncio.wait([future])

    def _in_turn(self, work: Callable[[], T]) -> T:
        if self._file is None:
            return work()
        with self._file_turn():
            return work()

    @contextmanager
    def _file_turn(self) -> Iterator[None]:
        """The node's turn, waited for in this thread (the kernel wakes it when the lock is
        free); the same two bytes, in the same order, as `_lock_file`."""
        if self._fd is None:
            self._fd = os.open(self._file or "", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, self.IN_LINE)
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, self.TURN)
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self.IN_LINE)
        try:
            yield
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self.TURN)

    async def _lock_file(self) -> bool:
        """True once this process holds the turn; False after `FILE_WAIT` without it."""
        if self._file is None:
            return False
        if self._fd is None:
            self._fd = os.open(self._file, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = asyncio.get_running_loop().time() + self.FILE_WAIT
        if not await self._poll(self._fd, self.IN_LINE, deadline):
            return False
        try:
            return await self._poll(self._fd, self.TURN, deadline)
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self.IN_LINE)

    @staticmethod
    async def _poll(fd: int, byte: int, deadline: float) -> bool:
        loop, pause = asyncio.get_running_loop(), 0.0001
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, byte)
                return True
            except OSError as error:
                if error.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.001)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _SqliteWriter:
    """A synchronous engine with one connection, used by one thread only."""

    def __init__(self, url: str) -> None:
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._engine: Engine = create_engine(url, pool_size=1, max_overflow=0)
        event.listen(self._engine, "connect", _sqlite_pragmas)

    def write(self, statement: Executable, rows: Sequence[dict[str, Any]]) -> Sequence[Row[Any]]:
        with self._engine.begin() as connection:
            result = connection.execute(statement, list(rows))
            return result.all() if result.returns_rows else ()

    async def dispose(self) -> None:
        await asyncio.wrap_future(self.thread.submit(self._engine.dispose))

    def close(self) -> None:
        self.thread.submit(self._engine.dispose).result()
        self.thread.shutdown()


def sqlite_file(database: str | None) -> str | None:
    """The path of a SQLite URL's database file; None for an in-memory database or a `file:`
    URI (whose connections SQLAlchemy's own driver makes)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def turns_file(engine: AsyncEngine) -> str | None:
    """The file beside a SQLite database whose lock its processes take turns on (None for an
    in-memory database)."""
    database = sqlite_file(engine.url.database)
    return None if database is None else f"{database}-turns"


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
    _read_engine: AsyncEngine | None = field(default=None, compare=False)
    _writer: _SqliteWriter | None = field(default=None, compare=False)

    @classmethod
    def connect(cls, url: str) -> Database:
        engine = make_engine(url)
        if engine.dialect.name != "sqlite":
            return cls(engine, async_sessionmaker(engine, expire_on_commit=False))
        file = turns_file(engine)
        return cls(
            engine,
            async_sessionmaker(engine, expire_on_commit=False),
            TaskLock(file),
            # an in-memory database is one connection's own: no second engine sees it
            _read_engine=make_engine(url, query_only=True) if file is not None else None,
            _writer=_SqliteWriter(url) if file is not None else None,
        )

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
        # the turn is given back at commit, before the session closes (which yields to the loop)
        async with self.sessions() as session, self._turns.hold(), session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that only reads, for hot paths that must not queue behind writers.

        On a SQLite file it takes no turn (in WAL mode readers never wait for the writer) and
        runs on connections that refuse writes, so a write slipped in by mistake fails loudly
        instead of racing the turn. Each statement sees what was committed when it ran (the driver
        opens no transaction for a read, so no snapshot is held between statements), never the
        caller's own uncommitted writes. Elsewhere it is `transaction()`."""
        if self._read_engine is None:
            async with self.transaction() as session:
                yield session
            return
        async with (
            AsyncSession(self._read_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    async def write_many(
        self, statement: Executable, rows: Sequence[dict[str, Any]]
    ) -> Sequence[Row[Any]]:
        """One statement run for many parameter sets in a transaction of its own; returns
        the rows it returned (`RETURNING`), if any. For hot paths: the inbox's group commit.

        On a SQLite file the whole transaction, the node's turn included, runs in one step on
        a thread of its own with a plain connection (design.md: one writer connection fed by
        a queue), so other processes wait for the database's time only. Elsewhere it is
        `transaction()`."""
        if self._writer is None or self._turns is None:
            async with self.transaction() as s:
                connection = await s.connection()
                result = await connection.execute(statement, list(rows))
                return result.all() if result.returns_rows else ()
        writer = self._writer
        return await self._turns.run_holding(lambda: writer.write(statement, rows), writer.thread)

    async def drop_connections(self) -> None:
        """Close every pooled connection, the writer's too; the next unit of work opens new
        ones. For a database that was failed over or moved (and for the tests that take one
        away): no connection to the old one is used again."""
        await self.engine.dispose()
        if self._read_engine is not None:
            await self._read_engine.dispose()
        if self._writer is not None:
            await self._writer.dispose()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        await self.engine.dispose()
        if self._read_engine is not None:
            await self._read_engine.dispose()
        if self._turns is not None:
            self._turns.close()
