"""What each process of a node holds in memory, kept in step with its other processes.

A node runs as web processes and a worker process (`sharon serve`), on one machine or several
sharing PostgreSQL. Each holds its own RAM cache of remote posts, its own table of agreed
peers, its own rate-limit buckets. These notices (storage/notify.py: `LISTEN/NOTIFY` on
PostgreSQL, loopback datagrams on SQLite) keep them one:

* a cache drop (a Delete, an unshare, a peer removed) in one process drops the same keys in
  every other at once (`CACHE`, `KEYS`);
* a peer table re-read in one process (a peer added or removed) is re-read in every other
  (`PEERS`);
* what each process let a peer spend is taken from every other process's bucket (`RATE`);
* a web process that accepted an activity or a form wakes the workers (`WAKE`).

A process ignores its own notices (it has already acted); a `GAP` (it may have missed some)
drops every cache and re-reads the peers.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from federation.cache import TTLCache
from federation.limits import PeerRateLimiter
from federation.remote import PeerTable
from node.settings import Settings
from storage.notify import GAP, MAX_MESSAGE, Notices, notices_for

CACHE = "sharon_cache"
KEYS = "sharon_keys"
PEERS = "sharon_peers"
RATE = "sharon_rate"
WAKE = "sharon_wake"
RATE_EVERY = 0.25  # seconds between two notices of what was spent
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class SharedState:
    """Wires one process's in-memory state to the node's notices."""

    notices: Notices
    me: str = field(default_factory=lambda: f"{os.getpid()}.{secrets.token_hex(4)}")

    def send(self, channel: str, body: dict[str, Any]) -> None:
        self.notices.publish(channel, json.dumps({"from": self.me, **body}))

    def _heard(self, message: str) -> dict[str, Any] | None:
        """The body of another process's notice; None for our own or a malformed one."""
        try:
            body = json.loads(message)
        except ValueError:
            return None
        if not isinstance(body, dict) or body.get("from") == self.me:
            return None
        return body

    def cache(self, channel: str, cache: TTLCache[Any]) -> None:
        """Drops in `cache` reach every process; theirs reach this one."""

        def dropped(keys: list[str]) -> None:
            for chunk in _chunks(keys):
                self.send(channel, {"keys": chunk})

        def heard(message: str) -> None:
            if message == GAP:
                cache.clear()
            elif (body := self._heard(message)) is not None:
                cache.drop_here(str(key) for key in body.get("keys", ()))

        cache.on_drop = dropped
        self.notices.subscribe(channel, heard)

    def peers(self, table: PeerTable) -> None:
        """A re-read of the peers in any process is a re-read in all."""

        def heard(message: str) -> None:
            if message == GAP or self._heard(message) is not None:
                table.forget_here()

        table.on_forget = lambda: self.send(PEERS, {})
        self.notices.subscribe(PEERS, heard)

    def limits(self, limiter: PeerRateLimiter) -> Callable[[], Awaitable[None]]:
        """Count other processes' spending here; returns the job that reports ours."""

        def heard(message: str) -> None:
            body = self._heard(message)
            if body is not None and isinstance(body.get("spent"), dict):
                limiter.spent_elsewhere(
                    {str(k): int(v) for k, v in body["spent"].items() if isinstance(v, int)}
                )

        self.notices.subscribe(RATE, heard)

        async def report() -> None:
            while True:
                await asyncio.sleep(RATE_EVERY)
                spent = limiter.drain_spent()
                if spent:
                    self.send(RATE, {"spent": spent})

        return report

    def wakes(self, queues: dict[str, asyncio.Event]) -> None:
        """A `WAKE` naming a queue (`inbox`, `outbox`) sets that queue's event here."""

        def heard(message: str) -> None:
            body = self._heard(message)
            if message == GAP:
                for wake in queues.values():
                    wake.set()
            elif body is not None and (named := queues.get(str(body.get("queue")))) is not None:
                named.set()

        self.notices.subscribe(WAKE, heard)

    def wake(self, queue: str) -> None:
        self.send(WAKE, {"queue": queue})

    def relay(self, queue: str, event: asyncio.Event) -> Callable[[], Awaitable[None]]:
        """A job that turns each setting of this process's `event` into a `WAKE` of `queue`
        (many settings while one notice is on its way become one notice)."""

        async def run() -> None:
            while True:
                await event.wait()
                event.clear()
                self.wake(queue)
                await self.notices.flush()

        return run

    def wake_on_forms(self) -> Callable[..., Awaitable[web.StreamResponse]]:
        """Middleware: a web form that was accepted may have written an outbox event; the
        worker's planning is woken rather than left to its poll. (Inbound activities wake
        the worker through `relay`, once per group commit, not once per request.)"""

        def accepted_form(request: web.Request, status: int) -> bool:
            return request.method == "POST" and status < 400 and request.content_type in FORMS

        @web.middleware
        async def middleware(
            request: web.Request,
            handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        ) -> web.StreamResponse:
            try:
                response = await handler(request)
            except web.HTTPException as answer:  # a redirect after a form is raised
                if accepted_form(request, answer.status):
                    self.wake("outbox")
                raise
            if accepted_form(request, response.status):
                self.wake("outbox")
            return response

        return middleware


def _chunks(keys: Sequence[str]) -> Iterator[list[str]]:
    """`keys` in lists that each fit one notice."""
    chunk: list[str] = []
    size = 0
    for key in keys:
        if chunk and size + len(key) + 4 > MAX_MESSAGE - 100:
            yield chunk
            chunk, size = [], 0
        chunk.append(key)
        size += len(key) + 4
    if chunk:
        yield chunk


async def tell_running_node(
    settings: Settings, *, dropped: Sequence[str] = (), peers: bool = False
) -> None:
    """From the admin CLI (a process of its own): the running node's processes drop these
    cached posts and, with `peers`, re-read the agreed peers."""
    notices = notices_for(settings.database_url, settings.data_dir)
    shared = SharedState(notices)
    await notices.start()
    try:
        for chunk in _chunks(dropped):
            shared.send(CACHE, {"keys": chunk})
        if peers:
            shared.send(PEERS, {})
        async with asyncio.timeout(10):
            await notices.flush()
    finally:
        await notices.stop()
