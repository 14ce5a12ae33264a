"""Reads served from the RAM cache, reported to each post's home so its audit names every reader.

A home logs a remote read when a partner fetches a post (`/objects?…&for=<reader>`). A second
member of the partner who reads the same post within the cache TTL causes no fetch, so the
partner reports it: `ReadReporter` collects (post URI, reader URI, time) on each cache hit and,
every `interval` seconds (30 by default, so within 60 s of the read), sends each home one
signed POST to its `/reads` endpoint:

    {"reads": [{"object": "<post URI>", "reader": "<member URI in that subnet>", "at": "<UTC>"}]}

Nothing else travels: no text, no names. `ReadReportsRoute` at the home verifies the signature
(an agreed peer's instance actor), applies the same rule as a fetch to each read (the reader
is a member of the post's subnet on the reporting node; `actors.posts.record_reported_reads`)
and audits the ones that pass, like fetched reads.

Why a dedicated signed endpoint rather than an activity to the shared inbox: a read is not
something that happened to the post (AS2's `View` would be stored, queued and processed like a
Create, with an activity id per report), the report goes only to SHaRON homes (no stock server
needs to understand it), and the home can check and audit it in the request's own transaction.
Reports are held in memory until sent, bounded per peer; a report a home does not take (down,
or refusing) is kept for the next round, and reads past the bound or a crash are lost, which
errs towards under-counting, never towards naming a reader who did not read.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from actors import posts
from actors.clock import Clock
from actors.ids import LocalIds
from federation.client import (
    TRANSPORT_ERRORS,
    BodyTooLarge,
    FetchError,
    SignedClient,
    parse_document,
    preferred_scheme,
    read_body,
)
from federation.documents import iso
from federation.errors import RequestRefused
from federation.limits import admit
from federation.membership_checks import MembershipConfirmer
from federation.remote import Directory
from federation.verify import verify_request
from storage import peers as peer_store
from storage.engine import Database

log = logging.getLogger(__name__)
MAX_PENDING_PER_PEER = 10_000
MAX_READS_PER_REPORT = 1_000
MAX_REPORT_BODY = 512 * 1024

Read = tuple[str, str]  # (post URI, reader URI)


@dataclass
class ReadReporter:
    """Collects reads served from the cache and sends them to the posts' homes in batches."""

    db: Database
    ids: LocalIds
    client: SignedClient
    clock: Clock
    interval: float = 30.0
    _pending: dict[str, dict[Read, datetime]] = field(default_factory=lambda: defaultdict(dict))

    def note(self, peer_id: str, object_uri: str, reader_uri: str) -> None:
        """A member read a cached post of `peer_id`; one entry per post and reader per round."""
        pending = self._pending[peer_id]
        if len(pending) < MAX_PENDING_PER_PEER:
            pending.setdefault((object_uri, reader_uri), self.clock())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> None:
        """Send what is pending, one report per home; keep what a home did not take."""
        if not any(self._pending.values()):
            return
        batches, self._pending = self._pending, defaultdict(dict)
        async with self.db.transaction() as s:
            peers = {peer.id: peer for peer in await peer_store.list_peers(s)}
        for peer_id, reads in batches.items():
            peer = peers.get(peer_id)
            if peer is None or peer.state == "removed" or not reads:
                continue
            items = list(reads.items())
            for start in range(0, len(items), MAX_READS_PER_REPORT):
                chunk = items[start : start + MAX_READS_PER_REPORT]
                if not await self._send(peer.url, peer.signature_schemes, chunk):
                    kept = self._pending[peer_id]
                    for key, at in chunk:
                        if len(kept) < MAX_PENDING_PER_PEER:
                            kept.setdefault(key, at)

    async def _send(self, url: str, schemes: list[Any], chunk: list[tuple[Read, datetime]]) -> bool:
        report = {
            "reads": [
                {"object": object_uri, "reader": reader, "at": iso(at)}
                for (object_uri, reader), at in chunk
            ]
        }
        try:
            response = await self.client.post(
                f"{url}/reads", report, signer=self.ids.instance, scheme=preferred_scheme(schemes)
            )
        except TRANSPORT_ERRORS as error:
            log.info("read report not sent: error=%s", type(error).__name__)
            return False
        if response.status >= 500 or response.status == 429:
            return False
        if response.status >= 300:
            log.warning("read report refused: status=%s", response.status)
        return True


def _reads(document: dict[str, Any], ids: LocalIds) -> list[posts.ReportedRead]:
    """The reads of a report, each naming one of our posts; FetchError if it is malformed."""
    items = document.get("reads")
    if not isinstance(items, list) or not 0 < len(items) <= MAX_READS_PER_REPORT:
        raise FetchError(f"a report holds between 1 and {MAX_READS_PER_REPORT} reads")
    reads = []
    for item in items:
        if not isinstance(item, dict) or set(item) != {"object", "reader", "at"}:
            raise FetchError("each read is {object, reader, at}")
        object_uri, reader, at = item["object"], item["reader"], item["at"]
        if not (isinstance(object_uri, str) and isinstance(reader, str) and isinstance(at, str)):
            raise FetchError("each read's object, reader and time are strings")
        try:
            moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise FetchError("a read's time is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise FetchError("a read's time has no time zone")
        post_id = ids.post_id(object_uri)
        if post_id is not None:  # reads of anything else are not ours to record
            reads.append(posts.ReportedRead(post_id, reader, moment))
    return reads


@dataclass
class ReadReportsRoute:
    """`POST /reads`: a partner reports reads of our posts served from its cache."""

    db: Database
    ids: LocalIds
    directory: Directory
    confirmer: MembershipConfirmer
    clock: Clock

    async def post(self, request: web.Request) -> web.Response:
        try:
            body = await read_body(request.content, MAX_REPORT_BODY)
        except BodyTooLarge:
            return _error(413, f"a read report is at most {MAX_REPORT_BODY} bytes")
        try:
            verified = await verify_request(
                request, body, self.directory, self.ids.base, now=self.clock()
            )
            admit(self.directory.limiter, verified.peer)
        except RequestRefused as refused:
            return _error(refused.status, str(refused), refused.headers)
        if verified.signer != verified.peer.instance_actor:
            return _error(401, "reads are reported by a node's instance actor")
        try:
            reads = _reads(parse_document(body), self.ids)
        except FetchError as error:
            return _error(400, f"malformed read report: {error}")
        confirmed: dict[str, set[str]] = {}
        moderated: dict[str, set[str]] = {}  # held or hidden posts: read by a moderator?
        async with self.db.transaction() as s:
            for reader in {read.reader_uri for read in reads}:
                post_ids = [r.post_id for r in reads if r.reader_uri == reader]
                confirmed[reader] = await posts.subnets_to_confirm(
                    s, self.ids, post_ids=post_ids, peer=verified.peer
                )
                moderated[reader] = await posts.moderated_to_confirm(
                    s, self.ids, post_ids=post_ids, peer=verified.peer
                )
        for reader, subnets in confirmed.items():
            confirmed[reader] = await self.confirmer.confirmed(subnets, reader)
        for reader, subnets in moderated.items():
            if subnets:
                moderated[reader] = await self.confirmer.confirmed(subnets, reader, moderator=True)
        async with self.db.transaction() as s:
            recorded = await posts.record_reported_reads(
                s,
                self.ids,
                peer=verified.peer,
                reads=reads,
                now=self.clock(),
                confirmed=confirmed,
                moderated=moderated,
            )
        log.info("read report: peer=%s recorded=%s of=%s", verified.peer.host, recorded, len(reads))
        return web.json_response({"recorded": recorded, "refused": len(reads) - recorded})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)
