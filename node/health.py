"""`/healthz` and `/readyz`: what a load balancer or orchestrator asks a node.

`/healthz` answers 200 while the process serves HTTP at all. `/readyz` answers 200 only when the
database answers, every background worker the app started is still running, and no queue has a
due item waiting longer than `ready_queue_seconds`; otherwise 503, and the JSON body names the
check that failed. A delivery backing off from an unreachable peer is not due, so one peer's
outage never makes this node "not ready". Bodies hold counts and names, never personal data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from actors.clock import Clock
from storage import health
from storage.engine import Database

DATABASE_TIMEOUT = 5.0
NO_STORE = {"Cache-Control": "no-store"}


class HealthRoutes:
    """`workers` maps each background worker's name to its task, filled when the app starts
    (node/app.py); a finished task — crashed or returned — is a dead worker."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        workers: Mapping[str, asyncio.Task[Any]],
        max_wait_seconds: int,
    ) -> None:
        self._db = db
        self._clock = clock
        self._workers = workers
        self._max_wait = max_wait_seconds

    def register(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"}, headers=NO_STORE)

    async def readyz(self, _request: web.Request) -> web.Response:
        checks = {"database": await self._database(), "workers": self._workers_check()}
        if checks["database"]["ok"]:
            checks["queues"] = await self._queues()
        ready = all(check["ok"] for check in checks.values())
        return web.json_response(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status=200 if ready else 503,
            headers=NO_STORE,
        )

    async def _database(self) -> dict[str, Any]:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT), self._db.transaction() as s:
                await health.ping(s)
        except TimeoutError:
            return {
                "ok": False,
                "error": "TimeoutError",
                "detail": f"the database did not answer within {DATABASE_TIMEOUT:g} s",
            }
        except Exception as error:  # any failure to reach it is the answer, not a crash
            return {
                "ok": False,
                "error": type(error).__name__,
                "detail": "the database cannot be reached",
            }
        return {"ok": True}

    def _workers_check(self) -> dict[str, Any]:
        stopped = sorted(name for name, task in self._workers.items() if task.done())
        running = sorted(name for name, task in self._workers.items() if not task.done())
        return {"ok": bool(self._workers) and not stopped, "running": running, "stopped": stopped}

    async def _queues(self) -> dict[str, Any]:
        now = self._clock()
        found: dict[str, Any] = {"ok": True, "max_wait_seconds": self._max_wait}
        async with self._db.transaction() as s:
            states = await health.queue_states(s, now)
        for queue in states:
            waited = (now - queue.oldest_due).total_seconds() if queue.oldest_due else 0.0
            late = waited > self._max_wait
            found[queue.name] = {"depth": queue.depth, "oldest_due_seconds": round(waited, 1)}
            if late:
                found["ok"] = False
                found[queue.name]["late"] = True
        return found
