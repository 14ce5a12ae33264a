"""Outbound delivery: events from `actors/` become signed POSTs to peer nodes.

Two stages, each a short transaction. *Fan-out* claims outbox events, renders one activity per
event and writes one `delivery` row per recipient **node** (its shared inbox, never per member).
*Send* leases due deliveries, POSTs them with at most `per_peer` requests in flight to one node,
and records each outcome:

* 2xx → done; the peer's `last_success_at` is set and a peer marked `dead` is alive again.
* 401 after the double knock, 408, 429, 5xx, network errors → retried with exponential backoff
  and jitter (30 s doubling, capped at a day); 429/503 `Retry-After` is honoured.
* any other 4xx → failed for good (the peer understood and refused).
* a peer that has not answered a delivery through `DEAD_AFTER` attempts (about a quarter of
  an hour of backoff) is marked `dead`: its rows are skipped but for one probe per
  `DEAD_PROBE`; when a probe is answered the peer is alive again and its whole backlog is due
  at once. A row still undelivered after `MAX_ATTEMPTS` (about a week) is failed.

A crash between stages loses nothing: events and deliveries are rows, leases expire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas
from actors.clock import Clock
from actors.ids import LocalIds
from federation import documents, outbound
from federation.client import SignedClient, preferred_scheme
from federation.keys import NodeKeys
from federation.processing import backoff
from storage import peers as peer_store
from storage import posts as post_store
from storage import queues
from storage import subnets as subnet_store
from storage.engine import Database
from storage.models import Delivery, Event, Peer, PostRef, new_id

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=45)  # longer than a send with its double knock (2 × 10 s)
MAX_ATTEMPTS = 16
DEAD_AFTER = 6
DEAD_PROBE = timedelta(minutes=10)
RETRYABLE = frozenset({401, 408, 429})


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Seconds or an HTTP date, per RFC 9110 §10.2.3."""
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=min(int(value), 86_400))
    try:
        return max(parsedate_to_datetime(value) - now, timedelta())
    except (TypeError, ValueError):
        return None


@dataclass
class Deliverer:
    db: Database
    ids: LocalIds
    keys: NodeKeys
    client: SignedClient
    clock: Clock
    wake: asyncio.Event
    per_peer: int = 8
    _limits: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    async def run(self) -> None:
        while True:
            try:
                busy = await self.fan_out() + await self.send_due()
            except Exception as error:  # the database was unavailable; leases expire, try again
                log.error("delivery failed, retrying: error=%s", type(error).__name__)
                busy = 0
                await asyncio.sleep(1.0)
            if not busy:
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=0.25)
                except TimeoutError:
                    pass

    async def fan_out(self, limit: int = 200) -> int:
        async with self.db.transaction() as s:
            events = await queues.claim_events(s, limit)
            now = self.clock()
            refs = await post_store.refs_by_uri(
                s, [e.payload["object_uri"] for e in events if e.kind == "ref.accepted"]
            )
            planned: list[Delivery] = []
            for event in events:
                planned += await self._plan(s, event, now, refs)
            await queues.add_deliveries(s, planned)
            await queues.mark_events_done(s, events)
        return len(events)

    async def _plan(
        self, s: AsyncSession, event: Event, now: datetime, refs: dict[str, PostRef]
    ) -> list[Delivery]:
        """The deliveries an event calls for (possibly none); `refs` holds the batch's refs."""
        payload, ids = event.payload, self.ids
        planned = await outbound.plan(s, ids, self.keys, event.kind, payload, now)
        if planned is not None:
            return [self._row(peer, activity, signer, now) for peer, activity, signer in planned]
        if event.kind == "post.created":
            post = await post_store.visible_post(s, payload["post_id"])
            local_subnet = post is not None and ids.subnet_slug(post.subnet_uri) is not None
            if post is None or (post.moderation_state != "visible" and local_subnet):
                return []
            slug = ids.subnet_slug(post.subnet_uri)
            if slug is not None:
                return await self._to_partners(
                    s,
                    slug,
                    now,
                    lambda: documents.render_announce(
                        ids,
                        new_id(),
                        subnet_uri=post.subnet_uri,
                        object_uri=ids.post(post.id),
                        published=post.published,
                        in_reply_to=post.in_reply_to,
                    ),
                    ids.subnet(slug),
                )
            group = await peer_store.remote_actor(s, post.subnet_uri)
            peer = await peer_store.peer_by_id(s, group.peer_id) if group else None
            author = await personas.member_uri(s, ids, post.author_id, post.subnet_uri)
            activity = documents.render_create(
                ids,
                new_id(),
                author_uri=author,
                object_uri=ids.post(post.id),
                subnet_uri=post.subnet_uri,
                published=post.published,
                in_reply_to=post.in_reply_to,
            )
            return [self._row(peer, activity, author, now)] if peer else []
        if event.kind == "ref.accepted":
            ref = refs.get(payload["object_uri"])
            slug = ids.subnet_slug(ref.subnet_uri) if ref else None
            if ref is None or slug is None:
                return []
            return await self._to_partners(
                s,
                slug,
                now,
                lambda: documents.render_announce(
                    ids,
                    new_id(),
                    subnet_uri=ref.subnet_uri,
                    object_uri=ref.object_uri,
                    published=ref.published,
                    in_reply_to=ref.in_reply_to,
                ),
                ids.subnet(slug),
            )
        if event.kind == "membership.joined":
            group = await peer_store.remote_actor(s, payload["subnet_uri"])
            peer = await peer_store.peer_by_id(s, group.peer_id) if group else None
            activity = documents.render_join(
                ids, new_id(), member_uri=payload["member_uri"], subnet_uri=payload["subnet_uri"]
            )
            return [self._row(peer, activity, payload["member_uri"], now)] if peer else []
        if event.kind == "subnet.partners_changed":
            subnet = await subnet_store.subnet_by_slug(s, payload["slug"])
            if subnet is None:
                return []
            partners = await subnet_store.partners_of(s, subnet.id)
            group = documents.render_group(ids, self.keys, subnet, partners)
            uri = ids.subnet(subnet.slug)
            return [
                self._row(
                    peer,
                    documents.render_update(ids, new_id(), actor_uri=uri, document=group),
                    uri,
                    now,
                )
                for peer in partners
            ]
        log.warning("outbox event of unknown kind %s skipped", event.kind)
        return []

    async def _to_partners(
        self, s: AsyncSession, slug: str, now: datetime, render: Callable[[], dict], signer: str
    ) -> list[Delivery]:
        subnet = await subnet_store.subnet_by_slug(s, slug)
        if subnet is None:
            return []
        rows = []
        for peer in await subnet_store.partners_of(s, subnet.id):
            rows.append(self._row(peer, render(), signer, now))
        return rows

    def _row(self, peer: Peer, activity: dict, signer: str, now: datetime) -> Delivery:
        return Delivery(
            id=new_id(),
            peer_id=peer.id,
            inbox=peer.shared_inbox,
            activity=activity,
            signer=signer,
            next_attempt_at=now,
            created_at=now,
        )

    async def send_due(self, limit: int = 500) -> int:
        """Send one batch of due deliveries and record every outcome in one transaction."""
        now = self.clock()
        async with self.db.transaction() as s:
            peers = {p.id: p for p in await peer_store.list_peers(s)}
            resting = [p.id for p in peers.values() if p.state in ("dead", "removed")]
            rows = list(await queues.claim_deliveries(s, now, LEASE, limit, skip_peers=resting))
            for peer in peers.values():
                if peer.state == "dead" and _probe_due(peer, now):
                    rows += await queues.claim_deliveries(s, now, LEASE, 1, peer_id=peer.id)
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(self._send(row, peers.get(row.peer_id)) for row in rows))
        now = self.clock()
        finished: list[dict[str, object]] = []
        health: dict[str, dict[str, bool]] = {}
        for row, (state, status, delay) in zip(rows, outcomes, strict=True):
            attempts = row.attempts + 1
            if state == "pending" and attempts >= MAX_ATTEMPTS:
                state = "failed"
            finished.append(
                {
                    "id": row.id,
                    "state": state,
                    "last_status": status,
                    "attempts": attempts,
                    "next_attempt_at": now + (delay if delay is not None else backoff(attempts)),
                    "locked_until": None,
                }
            )
            answered = status is not None and status < 500
            seen = health.setdefault(row.peer_id, {"answered": False, "ok": False, "gone": False})
            seen["answered"] |= answered
            seen["ok"] |= state == "done"
            seen["gone"] |= not answered and attempts >= DEAD_AFTER
        async with self.db.transaction() as s:
            await queues.finish_deliveries(s, finished)
            for peer_id, seen in health.items():
                peer = peers.get(peer_id)
                if peer is None:
                    continue
                if seen["answered"]:
                    await peer_store.note_answer(s, peer_id, now, success=seen["ok"])
                    if peer.state == "dead":
                        log.info("peer %s answers again; its backlog is due", peer.host)
                        await queues.release_deliveries(s, peer_id, now)
                else:
                    await peer_store.note_failure(s, peer_id, now, dead=seen["gone"])
                    if seen["gone"] and peer.state != "dead":
                        log.warning("peer %s marked dead; probing every %s", peer.host, DEAD_PROBE)
        return len(rows)

    async def _send(
        self, row: Delivery, peer: Peer | None
    ) -> tuple[str, int | None, timedelta | None]:
        if peer is None or peer.state == "removed":
            return "failed", None, None
        limit = self._limits.setdefault(peer.id, asyncio.Semaphore(self.per_peer))
        async with limit:
            try:
                response = await self.client.post(
                    row.inbox,
                    row.activity,
                    signer=row.signer,
                    scheme=preferred_scheme(peer.signature_schemes),
                )
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                log.info("delivery to %s failed: %s", peer.host, type(error).__name__)
                return "pending", None, None
        status = response.status
        if 200 <= status < 300:
            return "done", status, timedelta()
        if status in RETRYABLE or status >= 500:
            return "pending", status, retry_after(response.retry_after, self.clock())
        log.info("delivery to %s refused for good: status=%s", peer.host, status)
        return "failed", status, timedelta()


def _probe_due(peer: Peer, now: datetime) -> bool:
    return peer.last_failure_at is None or now - peer.last_failure_at >= DEAD_PROBE
