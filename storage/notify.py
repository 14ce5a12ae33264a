"""Notices among the processes that share one node's database: "this changed, drop your copy".

A node may run as several processes — web processes beside a worker process, on one machine
(SQLite or PostgreSQL) or on several (PostgreSQL). What one of them holds in memory (the RAM
cache of remote posts, the agreed peers, rate-limit buckets) must follow what another one did,
and the web process must wake the worker when it accepts something. `Notices` carries short
text messages on named channels to every process of the node, the sender included:

* **PostgreSQL**: `LISTEN`/`NOTIFY` on one long-lived asyncpg connection per process. It
  reaches processes on every machine that shares the database, costs nothing when idle, and the
  server pid of that connection names this process's queue leases (storage/queues.py): when the
  process dies, so does the connection, and its leases are free at once.
* **SQLite** (one machine by definition): UDP datagrams on 127.0.0.1. Each process binds an
  ephemeral port and writes it to `run/<pid>.port` in the data directory; a sender sends to
  every port listed there (dropping files of processes that are gone). Chosen over a polled
  table because a poll would be one more writer on SQLite's single write lock; over unix
  sockets because their paths are limited to 108 bytes and data directories are not. Loopback
  datagrams are not lost in practice, and nothing depends on one arriving: a worker still polls
  its queue every fraction of a second, and a dropped reference is already gone from the
  database before its cached text is dropped.

Messages are at most `MAX_MESSAGE` bytes (PostgreSQL's `NOTIFY` limit is 8000). A process that
loses its PostgreSQL connection reconnects and tells its own subscribers `GAP` ("you may have
missed something"), so they drop everything they hold rather than keep a stale copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import asyncpg

log = logging.getLogger(__name__)

MAX_MESSAGE = 7000
GAP = "*"
"""Delivered to a process's own subscribers after it may have missed messages: drop everything."""

Subscriber = Callable[[str], None]


class Notices(Protocol):
    """Publish to, and hear from, every process of this node (this one included)."""

    lease_owner: int | None

    def subscribe(self, channel: str, callback: Subscriber) -> None: ...

    def publish(self, channel: str, message: str) -> None: ...

    async def start(self) -> None: ...

    async def flush(self) -> None:
        """Return once every message published so far has been sent."""
        ...

    async def stop(self) -> None: ...


@dataclass
class _Channels:
    subscribers: dict[str, list[Subscriber]] = field(default_factory=lambda: defaultdict(list))

    def deliver(self, channel: str, message: str) -> None:
        for callback in self.subscribers.get(channel, ()):
            try:
                callback(message)
            except Exception as error:  # one bad subscriber must not silence the others
                log.error(
                    "notice subscriber failed: channel=%s error=%s", channel, type(error).__name__
                )

    def gap(self) -> None:
        for channel in list(self.subscribers):
            self.deliver(channel, GAP)


def _asyncpg_dsn(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


@dataclass
class PostgresNotices:
    """`LISTEN`/`NOTIFY` on one connection of its own; messages are sent in order by one task."""

    url: str
    name: str = "sharon"
    """The connection's `application_name`: which process of the node it is, for operators."""
    retry: float = 1.0
    lease_owner: int | None = None
    _channels: _Channels = field(default_factory=_Channels)
    _outgoing: asyncio.Queue[tuple[str, str]] = field(default_factory=asyncio.Queue)
    _connection: Any = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _lost: asyncio.Event = field(default_factory=asyncio.Event)

    def subscribe(self, channel: str, callback: Subscriber) -> None:
        self._channels.subscribers[channel].append(callback)

    def publish(self, channel: str, message: str) -> None:
        self._outgoing.put_nowait((channel, message[:MAX_MESSAGE]))

    async def start(self) -> None:
        await self._connect()
        self._tasks = [
            asyncio.create_task(self._send(), name="notices out"),
            asyncio.create_task(self._keep_connected(), name="notices connection"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._connection.close(), 5)

    async def _connect(self) -> None:
        connection = await asyncpg.connect(
            _asyncpg_dsn(self.url),
            server_settings={"application_name": self.name[:63]},
        )
        for channel in self._channels.subscribers:
            await connection.add_listener(channel, self._heard)
        connection.add_termination_listener(
            lambda gone: self._lost.set() if gone is self._connection else None
        )
        self._connection = connection
        self.lease_owner = connection.get_server_pid()
        self._lost.clear()

    def _heard(self, _connection: Any, _pid: int, channel: str, message: object) -> None:
        self._channels.deliver(channel, str(message))

    async def _send(self) -> None:
        while True:
            channel, message = await self._outgoing.get()
            try:
                while True:
                    if self._lost.is_set() or self._connection is None:
                        await asyncio.sleep(self.retry)  # _keep_connected is reconnecting
                        continue
                    try:
                        await self._connection.execute("SELECT pg_notify($1, $2)", channel, message)
                        break
                    except Exception as error:  # the connection went: send again once back
                        log.warning("notice not sent: error=%s", type(error).__name__)
                        self._lost.set()
            finally:
                self._outgoing.task_done()

    async def _keep_connected(self) -> None:
        """Reconnect as soon as the connection goes (not only when there is something to send:
        listening matters more), then tell this process's subscribers about the gap."""
        while True:
            await self._lost.wait()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._connection.close(), 5)
            await self._reconnect()

    async def flush(self) -> None:
        await self._outgoing.join()

    async def _reconnect(self) -> None:
        while True:
            try:
                await self._connect()
            except Exception as error:
                log.warning("notices: cannot reconnect: error=%s", type(error).__name__)
                await asyncio.sleep(self.retry)
                continue
            self._channels.gap()
            return


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, channels: _Channels) -> None:
        self.channels = channels

    def datagram_received(self, data: bytes, addr: Any) -> None:
        channel, _, message = data.decode("utf-8", "replace").partition("\n")
        self.channels.deliver(channel, message)


SETTLED_NS = 2_000_000_000


@dataclass
class LocalNotices:
    """UDP datagrams on loopback among the processes of one data directory (SQLite)."""

    run_dir: Path
    lease_owner: int | None = None
    _channels: _Channels = field(default_factory=_Channels)
    _transport: asyncio.DatagramTransport | None = None
    _port_file: Path | None = None
    _sender: socket.socket | None = None
    _listeners: list[int] = field(default_factory=list)
    _listeners_seen: int | None = None

    def subscribe(self, channel: str, callback: Subscriber) -> None:
        self._channels.subscribers[channel].append(callback)

    def publish(self, channel: str, message: str) -> None:
        data = f"{channel}\n{message[:MAX_MESSAGE]}".encode()
        if self._sender is None:
            self._channels.deliver(channel, message)
            return
        for port in self._ports():
            with contextlib.suppress(OSError):
                self._sender.sendto(data, ("127.0.0.1", port))

    def _ports(self) -> list[int]:
        """The ports of the node's listening processes, read again only when the directory
        changed (a process came or went: its port file is added or removed), so a busy node
        publishes with one `stat`. A directory changed in the last `SETTLED_NS` is read every
        time (two changes within one tick of the file system's clock leave one mtime). The
        files of a process that is gone are removed."""
        try:
            stamp = self.run_dir.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        if stamp == self._listeners_seen:
            return self._listeners
        ports, complete = [], True
        for found in self.run_dir.iterdir():
            try:
                pid = int(found.name.split("-")[0])
            except ValueError:
                continue
            if not _alive(pid):  # its port file, or one it was writing when it died
                found.unlink(missing_ok=True)
                continue
            if found.suffix != ".port":
                continue
            try:
                ports.append(int(found.read_text()))
            except (OSError, ValueError):
                complete = False  # unreadable: read the directory again next time
        self._listeners = ports
        settled = time.time_ns() - stamp > SETTLED_NS  # no change can hide in its clock tick
        self._listeners_seen = stamp if complete and settled else None
        return ports

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self._channels), local_addr=("127.0.0.1", 0)
        )
        self._transport = transport
        port = transport.get_extra_info("sockname")[1]
        self.run_dir.mkdir(mode=0o700, exist_ok=True)
        self._port_file = self.run_dir / f"{os.getpid()}-{secrets.token_hex(4)}.port"
        written = self._port_file.with_suffix(".new")  # whole when it appears as *.port
        written.write_text(str(port))
        written.replace(self._port_file)
        self._sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sender.setblocking(False)

    async def flush(self) -> None:
        """Datagrams leave as they are published."""

    async def stop(self) -> None:
        if self._port_file is not None:
            self._port_file.unlink(missing_ok=True)
        if self._transport is not None:
            self._transport.close()
        if self._sender is not None:
            self._sender.close()
            self._sender = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def notices_for(database_url: str, data_dir: Path, role: str = "cli") -> Notices:
    """PostgreSQL `LISTEN/NOTIFY` for a PostgreSQL node, loopback datagrams for SQLite."""
    if database_url.startswith(("postgresql", "postgres")):
        return PostgresNotices(
            database_url, name=f"sharon {role} pid={os.getpid()} parent={os.getppid()}"
        )
    return LocalNotices(data_dir / "run")


async def notify_once(database_url: str, data_dir: Path, channel: str, message: str) -> None:
    """Send one notice from a short-lived process (the admin CLI) to every running process."""
    notices = notices_for(database_url, data_dir)
    await notices.start()
    try:
        notices.publish(channel, message)
        async with asyncio.timeout(10):
            await notices.flush()
    finally:
        await notices.stop()
