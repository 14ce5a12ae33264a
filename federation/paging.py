"""The trust's paging webhook, and escalation of alerts nobody acknowledged in time.

Every `interval` the pager (1) escalates urgent alerts left unacknowledged for the escalation
time (`actors/alerts.py`, on the node's clock), which queues a call to the escalation webhook,
and (2) sends every due `page` row. A call is an HMAC-SHA256-signed JSON POST carrying only
the alert's id, kind, level, time and a link to it here — never text, names or any personal
data; the receiver follows the link and signs in to read more.

Signature: `X-Sharon-Signature: sha256=<hex>` over `<X-Sharon-Timestamp>.<body>` with the
shared secret; a receiver recomputes it, compares in constant time, and refuses old timestamps.

Outcomes, recorded on the row (admins see every call that has not succeeded): 2xx → done;
408, 429, 5xx and network errors → retried with the federation's backoff (30 s doubling, with
jitter) up to `MAX_ATTEMPTS`, then failed; any other 4xx → failed at once (a wrong URL or
secret); no URL configured → skipped. Rows are leased while in flight, so a crash loses
nothing. This is a small queue of its own until the generic queue engine lands in
`federation/` (then: a `page` job kind with this handler, and escalation a periodic job).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy.exc import SQLAlchemyError

from actors import alerts
from actors.clock import Clock
from actors.ids import LocalIds
from federation.workers import RetryPolicy
from storage import alerts as store
from storage.engine import Database
from storage.models import Page

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 12  # about a day of backoff
RETRIES = RetryPolicy(MAX_ATTEMPTS)
TIMEOUT = aiohttp.ClientTimeout(total=10)
RETRYABLE = frozenset({408, 429})


@dataclass(frozen=True)
class PagingSettings:
    url: str = ""
    escalation_url: str = ""
    secret: str = ""
    escalate_after: timedelta = timedelta(minutes=15)

    def target(self, kind: str) -> str:
        return self.escalation_url if kind == "escalation" else self.url


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `timestamp.body` under the shared secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body(ids: LocalIds, *, alert_id: str, kind: str, level: str, at: datetime) -> bytes:
    """All a pager is told: which alert, how serious, when, and where to look."""
    return json.dumps(
        {
            "alert": alert_id,
            "kind": kind,
            "level": level,
            "time": at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "link": f"{ids.base}/staff/alerts/{alert_id}",
        },
        separators=(",", ":"),
    ).encode()


@dataclass
class Pager:
    db: Database
    ids: LocalIds
    http: aiohttp.ClientSession
    clock: Clock
    settings: PagingSettings
    interval: timedelta = timedelta(seconds=2)

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except (SQLAlchemyError, OSError) as error:  # a busy or restarting database
                log.warning("paging pass failed, will retry: %s", type(error).__name__)
            await asyncio.sleep(self.interval.total_seconds())

    async def run_once(self) -> tuple[int, int]:
        """One pass; returns (alerts escalated, calls attempted)."""
        now = self.clock()
        async with self.db.transaction() as s:
            escalated = await alerts.escalate_due(
                s, self.ids, now=now, after=self.settings.escalate_after
            )
            due = await store.claim_pages(s, now, 20, LEASE)
            levels = {}
            for page in due:
                alert = await store.alert_by_id(s, page.alert_id)
                levels[page.id] = alert.level if alert else "urgent"
        if escalated:
            log.warning("alerts escalated: %s", len(escalated))
        for page in due:
            await self._send(page, levels[page.id], now)
        return len(escalated), len(due)

    async def _send(self, page: Page, level: str, now: datetime) -> None:
        url = self.settings.target(page.kind)
        status: int | None = None
        error = ""
        if url:
            payload = body(self.ids, alert_id=page.alert_id, kind=page.kind, level=level, at=now)
            stamp = str(int(now.timestamp()))
            headers = {
                "Content-Type": "application/json",
                "X-Sharon-Timestamp": stamp,
                "X-Sharon-Signature": signature(self.settings.secret, stamp, payload),
            }
            try:
                async with self.http.post(
                    url, data=payload, headers=headers, timeout=TIMEOUT, allow_redirects=False
                ) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as problem:
                error = type(problem).__name__
        await self._record(page.id, url, status, error)

    async def _record(self, page_id: str, url: str, status: int | None, error: str) -> None:
        now = self.clock()
        async with self.db.transaction() as s:
            row = await store.page_by_id(s, page_id)
            if row is None:
                return
            row.locked_until = None
            row.attempts += 1
            row.last_status, row.last_error = status, (error or None)
            if not url:
                row.state, row.last_error, row.done_at = "skipped", "no webhook configured", now
            elif status is not None and 200 <= status < 300:
                row.state, row.done_at = "done", now
            elif (
                status is not None and status < 500 and status not in RETRYABLE
            ) or row.attempts >= MAX_ATTEMPTS:
                row.state = "failed"
                log.error("paging webhook failed: kind=%s status=%s", row.kind, status)
            else:
                row.next_attempt_at = now + RETRIES.backoff(row.attempts)
