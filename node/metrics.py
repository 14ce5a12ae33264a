"""Prometheus metrics for the people who run a node: `/metrics` in the text format.

Each app has its own `CollectorRegistry` (several nodes run in one test process; nothing goes to
the library's global registry). Counters move as things happen — requests (by route *pattern*,
never the raw path or query), inbox answers, screenings; queue depths, ages and open alerts are
read from the database at scrape time. No label ever holds a person, a post or anything a
request supplied bar its route and status.

The background work's counters (items done, rejected and failed per queue, failed attempts,
restarts of supervised tasks) and the outbound deliveries and fetches (by peer host) are
tallied where the work is done, perhaps in another process (federation/work_counts.py): every
process adds its tallies to the `work_count` table every `WRITE_EVERY` seconds and as it stops,
and a scrape adds its own process's first, then reads the table — so the figures are the
node's, whichever process is scraped, and each is counted once.

`/metrics` answers only a bearer token equal to `metrics_token` in the settings; with no token
configured it answers 404, as if it did not exist. With `metrics = false` nothing is collected
and the route is not there at all.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from actors.clock import Clock
from actors.screening import Screener, Screening
from federation.cache import TTLCache
from federation.work_counts import Request, Tally, WorkCounts
from storage import alerts, health
from storage.engine import Database
from storage.work_counts import add_work_counts, work_counts

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
INBOX_SUFFIX = "/inbox"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods counted by name; any other a client sends is counted as `other` (the labels a
client can choose must be few, or each new one would be a new series kept for good)."""
WRITE_EVERY = 2.0
PEER_LENGTH = 255  # what work_count.peer holds


class NodeMetrics:
    """Every metric of one node, registered in its own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "sharon_http_requests",
            "HTTP requests answered, by route pattern, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "sharon_http_request_duration_seconds",
            "Time to answer an HTTP request, by route pattern",
            ["route"],
            registry=registry,
        )
        self.inbox = Counter(
            "sharon_inbox_requests",
            "Activities posted to an inbox: accepted (202) or refused, by status",
            ["outcome", "status"],
            registry=registry,
        )
        self.screenings = Counter(
            "sharon_screenings", "Texts screened, by level found", ["level"], registry=registry
        )
        self.screening_seconds = Histogram(
            "sharon_screening_duration_seconds",
            "Time to screen one text",
            registry=registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )
        self.queue_depth = Gauge(
            "sharon_queue_depth", "Items waiting, per queue", ["queue"], registry=registry
        )
        self.queue_oldest = Gauge(
            "sharon_queue_oldest_age_seconds",
            "Age of the oldest waiting item, per queue (0 when empty)",
            ["queue"],
            registry=registry,
        )
        self.pending_by_peer = Gauge(
            "sharon_deliveries_pending",
            "Deliveries waiting, by peer host",
            ["peer"],
            registry=registry,
        )
        self.open_alerts = Gauge(
            "sharon_open_alerts", "Crisis alerts not yet acknowledged", registry=registry
        )
        self.work = WorkCollector()
        registry.register(self.work)
        self._series: dict[tuple[str, str, int], _Series] = {}

    async def refresh(self, db: Database, clock: Clock, counts: WorkCounts) -> None:
        """Write this process's work counts down, then read what lives in the database
        (queues, work counts, alerts) into the metrics."""
        await write_work_counts(db, counts)
        now = clock()
        async with db.transaction() as s:
            queues = await health.queue_states(s, now)
            by_peer = await health.pending_deliveries_by_host(s)
            open_alerts = await alerts.count_open(s)
            self.work.counts = await work_counts(s)
        for queue in queues:
            self.queue_depth.labels(queue.name).set(queue.depth)
            age = (now - queue.oldest).total_seconds() if queue.oldest else 0.0
            self.queue_oldest.labels(queue.name).set(max(age, 0.0))
        self.pending_by_peer.clear()
        for host, count in by_peer.items():
            self.pending_by_peer.labels(host).set(count)
        self.open_alerts.set(open_alerts)

    def route_of(self, request: web.Request) -> str:
        """The matched route's pattern (`/posts/{id}`), or `unmatched`: never the raw path."""
        resource = request.match_info.route.resource
        return resource.canonical if resource is not None else "unmatched"

    def observe(self, request: web.Request, status: int, seconds: float) -> None:
        route = self.route_of(request)
        method = request.method if request.method in METHODS else "other"
        series = self._series.get((route, method, status))
        if series is None:  # `labels()` looks a series up under a lock: once per kind
            inbox = method == "POST" and route.endswith(INBOX_SUFFIX)
            series = self._series[route, method, status] = _Series(
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route),
                self.inbox.labels("accepted" if status == 202 else "refused", str(status))
                if inbox
                else None,
            )
        series.requests.inc()
        series.latency.observe(seconds)
        if series.inbox is not None:
            series.inbox.inc()


@dataclass(frozen=True)
class _Series:
    """The labelled series one kind of request (route, method, status) moves."""

    requests: Counter
    latency: Histogram
    inbox: Counter | None


def trace_requests(counts: WorkCounts) -> aiohttp.TraceConfig:
    """Counts every outbound delivery (POST to an inbox) and fetch (GET) by the peer's host and
    its outcome (status class, or `error`), in the process's work counts: so they reach
    `/metrics` from whichever process sent them."""
    trace = aiohttp.TraceConfig()

    def kind(method: str, path: str) -> Request | None:
        if method == "POST" and path.endswith(INBOX_SUFFIX):
            return "delivery"
        return "fetch" if method == "GET" else None

    async def on_end(_session: Any, _context: Any, params: Any) -> None:
        chosen = kind(params.method, params.url.path)
        if chosen is not None:
            counts.requested(chosen, _host(params.url), f"{params.response.status // 100}xx")

    async def on_error(_session: Any, _context: Any, params: Any) -> None:
        chosen = kind(params.method, params.url.path)
        if chosen is not None:
            counts.requested(chosen, _host(params.url), "error")

    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_error)
    return trace


def _host(url: Any) -> str:
    """`host[:port]` as peers are known (`peer.host`), without any user part of the URL; cut
    to the 255 characters `work_count.peer` holds, so no host can stop the counts being written."""
    return str(url.host_port_subcomponent or "")[:PEER_LENGTH]


async def write_work_counts(db: Database, counts: WorkCounts) -> None:
    """Add this process's tallies to the node's `work_count` rows (given back if that fails)."""
    taken = counts.take()
    if not taken:
        return
    try:
        async with db.transaction() as s:
            await add_work_counts(s, taken)
    except BaseException:
        counts.give_back(taken)
        raise


class WorkCollector(Collector):
    """The background work's counters and the outbound requests by peer, as last read from the
    database."""

    def __init__(self) -> None:
        self.counts: Tally = {}

    def collect(self) -> Iterator[CounterMetricFamily]:
        items = CounterMetricFamily(
            "sharon_queue_items",
            "Queue items and periodic runs settled for good, by queue and outcome "
            "(done, rejected, failed)",
            labels=["queue", "outcome"],
        )
        attempts = CounterMetricFamily(
            "sharon_queue_failed_attempts",
            "Attempts that did not succeed (retried, or the last of a final failure), by queue",
            labels=["queue"],
        )
        restarts = CounterMetricFamily(
            "sharon_task_restarts",
            "Supervised background tasks started again after they stopped, by task",
            labels=["task"],
        )
        requests = {
            "delivery": CounterMetricFamily(
                "sharon_deliveries",
                "Deliveries (POSTs to a peer's inbox), by peer host and outcome",
                labels=["peer", "outcome"],
            ),
            "fetch": CounterMetricFamily(
                "sharon_peer_fetches",
                "Signed GETs of peers' documents and content, by peer host and outcome",
                labels=["peer", "outcome"],
            ),
        }
        for (kind, name, peer), count in sorted(self.counts.items()):
            if kind in requests:
                requests[kind].add_metric([peer, name], count)
            elif kind == "failed_attempt":
                attempts.add_metric([name], count)
            elif kind == "restart":
                restarts.add_metric([name], count)
            else:
                items.add_metric([name, kind], count)
        yield from (items, attempts, restarts, *requests.values())


class CacheCollector(Collector):
    """The remote-content cache's hits, misses and size, read when scraped."""

    def __init__(self, cache: TTLCache[Any]) -> None:
        self._cache = cache

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield CounterMetricFamily(
            "sharon_cache_hits", "Remote content served from the RAM cache", self._cache.hits
        )
        yield CounterMetricFamily(
            "sharon_cache_misses", "Remote content not in the RAM cache", self._cache.misses
        )
        yield GaugeMetricFamily(
            "sharon_cache_entries", "Entries in the remote-content RAM cache", len(self._cache)
        )


@dataclass(frozen=True)
class MeteredScreener:
    """A screener that counts what it finds and times itself; screening itself is unchanged."""

    inner: Screener
    metrics: NodeMetrics

    def screen(self, text: str) -> Screening:
        start = time.perf_counter()
        found = self.inner.screen(text)
        self.metrics.screening_seconds.observe(time.perf_counter() - start)
        self.metrics.screenings.labels(found.level).inc()
        return found


METRICS = web.AppKey("metrics", NodeMetrics)


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts and times every request by route pattern and status (errors included)."""
    metrics = request.app[METRICS]
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        metrics.observe(request, status, time.perf_counter() - start)


class MetricsRoute:
    """`GET /metrics`, for a bearer of the configured token only."""

    def __init__(
        self, metrics: NodeMetrics, db: Database, clock: Clock, token: str, counts: WorkCounts
    ) -> None:
        self._metrics = metrics
        self._db = db
        self._clock = clock
        self._token = token
        self._counts = counts

    def register(self, app: web.Application) -> None:
        app.router.add_get("/metrics", self.get)

    async def get(self, request: web.Request) -> web.Response:
        if not self._token:
            raise web.HTTPNotFound()
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {self._token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise web.HTTPUnauthorized(
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                text="401: a bearer token is needed for /metrics",
            )
        await self._metrics.refresh(self._db, self._clock, self._counts)
        body = generate_latest(self._metrics.registry)
        return web.Response(
            body=body,
            headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
        )
