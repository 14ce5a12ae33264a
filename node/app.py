"""The application factory: everything a node does is wired here, for the CLI and every test."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from argon2 import PasswordHasher

from actors.clock import Clock, utcnow
from actors.ids import LocalIds
from actors.posts import ResolvedContent
from federation.cache import TTLCache
from federation.client import SignedClient
from federation.delivery import Deliverer
from federation.housekeeping import Housekeeper
from federation.inbox import MAX_BODY, InboxRoute, InboxWriter, SubnetGate
from federation.keys import NodeKeys
from federation.limits import PeerRateLimiter
from federation.processing import Processor
from federation.reading import LiveResolver
from federation.remote import Directory
from federation.routes import FederationRoutes
from node.settings import Settings
from storage import queues
from storage.engine import Database
from webui import setup as webui_setup
from webui.context import WebContext

log = logging.getLogger(__name__)

SHUTDOWN_STEP = 10.0
DATABASE = web.AppKey("database", Database)
DELIVERER = web.AppKey("deliverer", Deliverer)
PROCESSOR = web.AppKey("processor", Processor)
RESOLVER = web.AppKey("resolver", LiveResolver)
HOUSEKEEPER = web.AppKey("housekeeper", Housekeeper)


async def create_app(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    run_workers: bool = True,
    assets_dir: Path | None = None,
    hasher: PasswordHasher | None = None,
    trace_configs: Sequence[aiohttp.TraceConfig] = (),
) -> web.Application:
    """Build a node. Workers (inbox writer, processor, deliverer) start and stop with the app.
    `trace_configs` observe every outbound request (tests capture what leaves the node)."""
    ids = LocalIds(settings.url)
    keys = NodeKeys.load(settings.data_dir)
    db = Database.connect(settings.database_url)
    http = aiohttp.ClientSession(
        headers={"User-Agent": "sharon-node/0.1"},
        connector=aiohttp.TCPConnector(limit=256),
        trace_configs=list(trace_configs),
    )
    client = SignedClient(http, keys, clock)
    limiter = PeerRateLimiter(settings.peer_requests_per_second, settings.peer_request_burst)
    directory = Directory(db, client, ids, clock, limiter, settings.data_dir)
    writer = InboxWriter(db)
    outbox_wake = asyncio.Event()
    content_cache: TTLCache[ResolvedContent] = TTLCache(
        max_entries=settings.cache_entries,
        ttl=timedelta(seconds=settings.cache_ttl_seconds),
        clock=clock,
    )
    processor = Processor(db, ids, directory, clock, writer.wake, outbox_wake, content_cache)
    deliverer = Deliverer(db, ids, keys, client, clock, outbox_wake)
    housekeeper = Housekeeper(db, ids, clock, outbox_wake)
    resolver = LiveResolver(db, ids, client, content_cache)

    app = web.Application(client_max_size=MAX_BODY, middlewares=webui_setup.MIDDLEWARES)
    app[DATABASE] = db
    app[DELIVERER] = deliverer
    app[PROCESSOR] = processor
    app[RESOLVER] = resolver
    app[HOUSEKEEPER] = housekeeper
    FederationRoutes(
        db,
        ids,
        keys,
        directory,
        InboxRoute(directory, writer, settings.url, clock, SubnetGate(db, ids)),
        clock,
        settings.trust_name,
    ).register(app)
    webui_setup.setup(
        app,
        WebContext(
            db=db,
            ids=ids,
            resolver=resolver,
            hasher=hasher or PasswordHasher(),
            clock=clock,
            trust_name=settings.trust_name,
            crisis_numbers=settings.crisis_numbers,
            secure_cookies=settings.secure_cookies,
            assets_dir=assets_dir or webui_setup.default_assets_dir(),
        ),
    )

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if db.is_sqlite and run_workers:  # one process per SQLite node: no lease is live
            async with db.transaction() as s:
                await queues.release_leases(s)
        jobs: list[Coroutine[Any, Any, None]] = [writer.run()]
        if run_workers:
            jobs += [processor.run(), deliverer.run(), housekeeper.run()]
        tasks = [asyncio.create_task(job) for job in jobs]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=SHUTDOWN_STEP)  # a stop must never hang for good
        for step in (http.close(), db.close()):
            try:
                await asyncio.wait_for(step, SHUTDOWN_STEP)
            except TimeoutError:
                log.warning("shutdown step timed out after %s s", SHUTDOWN_STEP)

    app.cleanup_ctx.append(lifecycle)
    return app
