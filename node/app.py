"""The application factory: everything a node does is wired here, for the CLI and every test."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, Literal

import aiohttp
from aiohttp import web
from argon2 import PasswordHasher
from prometheus_client import CollectorRegistry

from actors.clock import Clock, utcnow
from actors.ids import LocalIds
from actors.library import LibraryLimits, LibraryService, ReaderKeys
from actors.out_of_hours import OutOfHours
from actors.pictures import PictureBytes
from actors.posts import ResolvedContent
from actors.reports import Thresholds
from actors.screening import Screener
from actors.screening.default import load_screener
from actors.support import StaffedHours
from federation.cache import TTLCache
from federation.client import SignedClient
from federation.delivery import Deliverer
from federation.evidence import EvidenceRoute, LivePartnerFigures
from federation.home_queues import LiveHomeQueues
from federation.housekeeping import Housekeeper
from federation.inbox import MAX_BODY, InboxRoute, InboxWriter, SubnetGate
from federation.keys import NodeKeys
from federation.library_reading import LiveLibrary, weigh_held
from federation.library_routes import LibraryRoutes
from federation.limits import PeerRateLimiter
from federation.paging import Pager, PagingSettings
from federation.pictures import LivePictures, weight
from federation.processing import Processor
from federation.read_reports import ReadReporter
from federation.reading import LiveResolver
from federation.remote import Directory
from federation.routes import FederationRoutes
from federation.search import LiveSearcher
from federation.work_counts import WorkCounts
from federation.workers import Faults, Periodic, Supervisor, error_name, no_faults
from node import message_retention
from node.health import HealthRoutes
from node.logs import request_ids
from node.metrics import (
    METRICS,
    WRITE_EVERY,
    CacheCollector,
    MeteredScreener,
    MetricsRoute,
    NodeMetrics,
    trace_requests,
    write_work_counts,
)
from node.metrics import count_requests as metrics_middleware
from node.peering import LivePeering
from node.settings import Settings
from node.shared import CACHE, KEYS, SharedState
from storage import queues
from storage.engine import Database
from storage.library_files import LibraryFiles, reader_secret
from storage.notify import notices_for
from webui import setup as webui_setup
from webui.context import WebContext

log = logging.getLogger(__name__)

SHUTDOWN_STEP = 10.0
DATABASE = web.AppKey("database", Database)
DELIVERER = web.AppKey("deliverer", Deliverer)
PROCESSOR = web.AppKey("processor", Processor)
RESOLVER = web.AppKey("resolver", LiveResolver)
HOUSEKEEPER = web.AppKey("housekeeper", Housekeeper)
PAGER = web.AppKey("pager", Pager)
SUPERVISOR = web.AppKey("supervisor", Supervisor)
# Background tasks by name, as the supervisor runs them; /readyz reads whether each is running.
WORKERS = web.AppKey("workers", Mapping[str, asyncio.Task[None]])
SHARED = web.AppKey("shared", SharedState)

Role = Literal["all", "web", "worker"]
"""What one process of a node does. `web` answers HTTP: pages, the inbox (verify, store,
answer 202), reads of remote posts into its RAM cache and the read reports about them.
`worker` runs the queues: processing, planning, delivery, housekeeping, retention, pager.
`sharon serve` runs one worker process beside its web processes; `all` is both in one process
(tests, and small nodes started from Python)."""

WORKER_LOCK = "worker.lock"


async def _write_last_counts(db: Database, counts: WorkCounts) -> None:
    """The work counted since the last write, as the process stops (lost if it cannot be)."""
    try:
        async with asyncio.timeout(SHUTDOWN_STEP):
            await write_work_counts(db, counts)
    except Exception as error:
        log.warning("work counts not written as the node stopped: error=%s", error_name(error))


class WorkerAlreadyRunning(RuntimeError):
    """A SQLite node has one worker process: another holds the data directory's worker lock."""


def _hold_worker_lock(data_dir: Path) -> IO[bytes]:
    """Take the SQLite node's worker lock (released when the process ends, however it ends)."""
    handle = (data_dir / WORKER_LOCK).open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise WorkerAlreadyRunning(
            f"another worker is running for {data_dir} (a SQLite node runs one)"
        ) from None
    return handle


async def create_app(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    role: Role = "all",
    run_workers: bool = True,
    assets_dir: Path | None = None,
    hasher: PasswordHasher | None = None,
    trace_configs: Sequence[aiohttp.TraceConfig] = (),
    screener: Screener | None = None,
    faults: Faults = no_faults,
) -> web.Application:
    """Build a node. Workers (inbox writer, processing, delivery, housekeeping, pager, read
    reports) start and stop with the app, each a supervised task restarted if it dies.
    `trace_configs` observe every outbound request (tests capture what leaves the node);
    `screener` screens every text written here (by default the trained model with the
    must-escalate rules, `actors/screening/default.py`, loaded once here); `faults` lets a test
    make one queue item's work raise (federation/workers.py). `role` says which of the node's
    jobs this process does (see `Role`); `run_workers=False` leaves out every worker (tests
    drive them by hand). `settings.metrics` and `settings.request_logging` off leave their
    middleware and collection out altogether (README "Operating a node")."""
    metrics = NodeMetrics(CollectorRegistry())  # per app: never the global registry
    counts = WorkCounts()  # what this process's workers and requests do, for /metrics
    serves_web = role in ("all", "web")
    ids = LocalIds(settings.url)
    keys = NodeKeys.load(settings.data_dir)
    db = Database.connect(settings.database_url)
    works = role in ("all", "worker") and run_workers
    # One worker process per SQLite node, so no lease is live when it starts: taken before
    # anything that would need closing, and held until the app's cleanup.
    worker_lock = (
        _hold_worker_lock(settings.data_dir) if db.is_sqlite and role == "worker" else None
    )
    shared = SharedState(notices_for(settings.database_url, settings.data_dir, role))
    http = aiohttp.ClientSession(
        headers={"User-Agent": "sharon-node/0.1"},
        connector=aiohttp.TCPConnector(limit=256),
        trace_configs=[*trace_configs, *([trace_requests(counts)] if settings.metrics else [])],
    )
    client = SignedClient(http, keys, clock)
    home_queues = LiveHomeQueues(db, ids, client)  # what waits at partner subnets' homes
    limiter = PeerRateLimiter(settings.peer_requests_per_second, settings.peer_request_burst)
    directory = Directory(db, client, ids, clock, limiter, settings.data_dir)
    writer = InboxWriter(db)
    outbox_wake = asyncio.Event()
    content_cache: TTLCache[ResolvedContent] = TTLCache(
        max_entries=settings.cache_entries,
        ttl=timedelta(seconds=settings.cache_ttl_seconds),
        clock=clock,
    )
    shared.cache(CACHE, content_cache)
    shared.cache(KEYS, directory.keys)
    shared.peers(directory.peers)
    report_spending = shared.limits(limiter)
    if settings.metrics:
        metrics.registry.register(CacheCollector(content_cache))
    thresholds = Thresholds(settings.report_hold_threshold, settings.report_author_threshold)
    processor = Processor(
        db,
        ids,
        directory,
        clock,
        writer.wake,
        outbox_wake,
        content_cache,
        faults=faults,
        counts=counts,
        report_thresholds=thresholds,
    )
    deliverer = Deliverer(db, ids, keys, client, clock, outbox_wake, faults=faults, counts=counts)
    housekeeper = Housekeeper(db, ids, clock, outbox_wake, faults=faults, counts=counts)
    supervisor = Supervisor(counts=counts)
    reports = ReadReporter(db, ids, client, clock, settings.read_report_seconds)
    resolver = LiveResolver(db, ids, client, content_cache, clock, reports)
    library_service = LibraryService(
        remote=LiveLibrary(
            db,
            client,
            TTLCache(
                max_entries=settings.cache_entries,
                ttl=timedelta(seconds=settings.cache_ttl_seconds),
                clock=clock,
                max_bytes=settings.library_cache_bytes,
                weigh=weigh_held,
            ),
            ids.instance,
            max(settings.library_max_document_bytes, settings.library_max_video_bytes),
        ),
        files=LibraryFiles(settings.data_dir / "library"),
        keys=ReaderKeys(reader_secret(settings.data_dir)),
        limits=LibraryLimits(settings.library_max_document_bytes, settings.library_max_video_bytes),
    )
    picture_cache: TTLCache[PictureBytes] = TTLCache(  # bounded in bytes; RAM only
        max_entries=settings.cache_entries,
        ttl=timedelta(seconds=settings.cache_ttl_seconds),
        clock=clock,
        max_bytes=settings.picture_cache_bytes,
        weigh=weight,
    )
    pager = Pager(
        db,
        ids,
        http,
        clock,
        PagingSettings(
            url=settings.alert_webhook_url,
            escalation_url=settings.alert_escalation_url,
            secret=settings.alert_webhook_secret,
            escalate_after=timedelta(minutes=settings.alert_escalate_minutes),
        ),
    )

    # Bodies are taken as sent: a Content-Encoding is refused with 400 by the inbox and the web
    # forms, rather than decompressed by aiohttp (which answers 500 on a body it cannot decode).
    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=(
            *([request_ids] if settings.request_logging else []),
            *([metrics_middleware] if settings.metrics else []),
            *([shared.wake_on_forms()] if role == "web" else []),
            *webui_setup.MIDDLEWARES,
        ),
        handler_args={"auto_decompress": False},
    )
    app[DATABASE] = db
    app[DELIVERER] = deliverer
    app[PROCESSOR] = processor
    app[RESOLVER] = resolver
    app[HOUSEKEEPER] = housekeeper
    app[PAGER] = pager
    app[SUPERVISOR] = supervisor
    app[METRICS] = metrics
    app[WORKERS] = supervisor.tasks
    out_of_hours = OutOfHours().of
    app[SHARED] = shared
    if serves_web:  # a worker process answers no HTTP
        HealthRoutes(db, clock, supervisor.tasks, settings.ready_queue_seconds).register(app)
        if settings.metrics:
            MetricsRoute(metrics, db, clock, settings.metrics_token, counts).register(app)
        EvidenceRoute(db, ids, directory, clock, out_of_hours, settings.trust_name).register(app)
        FederationRoutes(
            db,
            ids,
            keys,
            directory,
            InboxRoute(directory, writer, settings.url, clock, SubnetGate(db, ids)),
            clock,
            settings.trust_name,
        ).register(app)
        LibraryRoutes(db, ids, directory, library_service.files, library_service.keys).register(app)
        webui_setup.setup(
            app,
            WebContext(
                db=db,
                ids=ids,
                resolver=resolver,
                hasher=hasher or PasswordHasher(),
                clock=clock,
                trust_name=settings.trust_name,
                secure_cookies=settings.secure_cookies,
                assets_dir=assets_dir or webui_setup.default_assets_dir(),
                # Texts are screened where people write them: never in the worker process.
                screener=MeteredScreener(screener or load_screener(), metrics)
                if settings.metrics
                else screener or load_screener(),
                helplines=settings.helplines,
                staffed_hours=StaffedHours.parse(settings.staffed_hours),
                escalate_minutes=settings.alert_escalate_minutes,
                searcher=LiveSearcher(db, ids, client, settings.search_timeout_seconds),
                out_of_hours=out_of_hours,
                partner_figures=LivePartnerFigures(db, ids, client),
                survey=settings.survey,
                peering=LivePeering(db, http, ids, clock, directory.peers),
                home_queues=home_queues,
                report_thresholds=thresholds,
                site_pages=settings.site_pages,
                library=library_service,
                pictures=LivePictures(db, ids, client, resolver, picture_cache, clock),
                picture_max_bytes=settings.picture_max_bytes,
            ),
        )

    writing_counts = Periodic(  # its own WorkCounts: writing them down is not counted
        "writing work counts",
        lambda _now: write_work_counts(db, counts),
        clock,
        timedelta(seconds=WRITE_EVERY),
    )

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if db.is_sqlite and works:
            async with db.transaction() as s:
                await queues.release_leases(s)
        if role == "worker":
            shared.wakes({"inbox": writer.wake, "outbox": outbox_wake})
        await shared.notices.start()  # after every subscription: PostgreSQL listens at start
        db.lease_owner.source = lambda: shared.notices.lease_owner
        if serves_web:
            supervisor.start("inbox writer", writer.run)
            if run_workers:
                supervisor.start("rate sharing", report_spending)
                supervisor.start("read reports", reports.run)
        if role == "web":
            supervisor.start("waking workers", shared.relay("inbox", writer.wake))
        if works:
            supervisor.start("processing", processor.worker.run)
            supervisor.start("planning", deliverer.planning.run)
            supervisor.start("delivery", deliverer.sending.run)
            for job in housekeeper.jobs():
                supervisor.start(job.name, job.run)
            supervisor.start("pager", pager.run)
            if settings.message_retention_days:
                days = settings.message_retention_days
                supervisor.start(
                    "message retention", lambda: message_retention.run(db, clock, days)
                )
        if settings.metrics and run_workers:  # else a scrape writes them down
            supervisor.start("work counts", writing_counts.run)
        yield
        await supervisor.stop(SHUTDOWN_STEP)  # a stop must never hang for good
        if settings.metrics:
            await _write_last_counts(db, counts)
        for step in (shared.notices.stop(), home_queues.close(), http.close(), db.close()):
            try:
                async with asyncio.timeout(SHUTDOWN_STEP):
                    await step
            except TimeoutError:
                log.warning("shutdown step timed out after %s s", SHUTDOWN_STEP)
        if worker_lock is not None:
            worker_lock.close()

    app.cleanup_ctx.append(lifecycle)
    return app
