"""The shared inbox: verify, store, commit, answer 202 — processing happens in a worker.

Accepted activities are group-committed: each request hands its row to `InboxWriter` and waits;
the writer inserts everything queued so far in one transaction, so a burst of N activities costs
one commit rather than N. A replayed activity id is accepted (202) but stored and processed once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from actors import subnets
from actors.clock import Clock
from actors.ids import LocalIds
from federation.jsonld import MalformedDocument, check_shape
from federation.remote import Directory, host_of, id_of
from federation.verify import RequestRefused, verify_request
from storage import posts as post_store
from storage import queues
from storage import subnets as subnet_store
from storage.engine import Database
from storage.models import Peer, new_id

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
BATCH = 500


@dataclass
class InboxWriter:
    """Group commit for accepted activities; `wake` tells the processing worker there is work."""

    db: Database
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    _queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[bool]]] = field(
        default_factory=asyncio.Queue
    )

    async def accept(self, row: dict[str, Any]) -> bool:
        """Store one activity durably; True if new, False if its id was seen before."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._queue.put((row, future))
        return await future

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write(batch)

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[bool]]]) -> None:
        unique: dict[str, dict[str, Any]] = {}
        for row, _ in batch:
            unique.setdefault(row["activity_id"], row)
        try:
            async with self.db.transaction() as s:
                new = await queues.add_inbox_items(s, list(unique.values()))
        except Exception as error:  # the requests learn of it; the writer carries on
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        claimed: set[str] = set()
        for row, future in batch:
            activity_id = row["activity_id"]
            is_new = activity_id in new and activity_id not in claimed
            claimed.add(activity_id)
            if not future.done():
                future.set_result(is_new)
        self.wake.set()


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


@dataclass
class SubnetGate:
    """Refuses, before anything is stored, an activity about a subnet hosted here from a node
    that was never offered it (not a partner, nor invited to be one).

    Invited nodes pass: a new partner's first Join may arrive before its Accept is processed.
    A node found allowed is remembered; if its share ends later, processing still rejects what
    it sends. Nodes refused are asked about again each time (that is the rare path)."""

    db: Database
    ids: LocalIds
    _allowed: set[tuple[str, str]] = field(default_factory=set)

    async def refuses(self, activity: dict[str, Any], peer: Peer) -> bool:
        for slug in await self._subnets_named(activity):
            if (slug, peer.id) in self._allowed:
                continue
            async with self.db.transaction() as s:
                subnet = await subnet_store.subnet_by_slug(s, slug)
                allowed = subnet is not None and await subnets.node_may_see_group(s, subnet, peer)
            if not allowed:
                return True
            self._allowed.add((slug, peer.id))
        return False

    async def _subnets_named(self, activity: dict[str, Any]) -> set[str]:
        """Slugs of our subnets the activity is about: named outright, one level down (an
        Accept of an Invite), or as the subnet of one of our posts (a Like, a Delete)."""
        values = [activity.get(key) for key in ("target", "audience", "object")]
        inner = activity.get("object")
        if isinstance(inner, dict):
            values += [inner.get(key) for key in ("target", "audience", "object", "actor")]
        slugs, post_ids = set(), []
        for uri in filter(None, (id_of(value) for value in values)):
            if (slug := self.ids.subnet_slug(uri)) is not None:
                slugs.add(slug)
            elif (post_id := self.ids.post_id(uri)) is not None:
                post_ids.append(post_id)
        if post_ids:
            async with self.db.transaction() as s:
                for post_id in post_ids:
                    post = await post_store.post_by_id(s, post_id)
                    slug = self.ids.subnet_slug(post.subnet_uri) if post else None
                    if slug is not None:
                        slugs.add(slug)
        return slugs


@dataclass
class InboxRoute:
    directory: Directory
    writer: InboxWriter
    base_url: str
    clock: Clock
    gate: SubnetGate

    async def post(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, f"request body is larger than {MAX_BODY} bytes")
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _error(413, f"request body is larger than {MAX_BODY} bytes")
        try:
            verified = await verify_request(request, body, self.directory, self.base_url)
        except RequestRefused as refused:
            log.info("inbox refused: status=%s reason=%s", refused.status, refused)
            return _error(refused.status, str(refused), refused.headers)
        try:
            activity = json.loads(body)
        except (ValueError, RecursionError):
            return _error(400, "body is not JSON")
        problem = _problem(activity, verified.signer)
        if problem is not None:
            status, message = problem
            return _error(status, message)
        if await self.gate.refuses(activity, verified.peer):
            return _error(403, "that subnet is not shared with your node")
        row = {
            "id": new_id(),
            "activity_id": activity["id"],
            "peer_id": verified.peer.id,
            "activity": activity,
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": self.clock(),
            "received_at": self.clock(),
        }
        new = await self.writer.accept(row)
        log.debug("inbox accepted: peer=%s new=%s", verified.peer.host, new)
        return web.json_response({"accepted": True, "duplicate": not new}, status=202)


def _problem(activity: Any, signer: str) -> tuple[int, str] | None:
    """Why an activity is malformed (400) or not the signer's to send (401), if it is."""
    try:
        check_shape(activity)
    except MalformedDocument as error:
        return 400, f"malformed activity: {error}"
    activity_id, actor = activity.get("id"), activity.get("actor")
    if isinstance(actor, dict):
        actor = actor.get("id")
    if not isinstance(activity_id, str) or not isinstance(activity.get("type"), str):
        return 400, "an activity needs an id and a type"
    if not isinstance(actor, str):
        return 400, "an activity needs an actor"
    if actor != signer:
        return 401, "the signing key does not belong to the activity's actor"
    if host_of(activity_id) != host_of(actor):
        return 400, "the activity id is not on its actor's host"
    return None
