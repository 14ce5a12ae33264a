"""The shared inbox: verify, check, store, commit, answer 202 — processing happens in a worker.

Accepted activities are group-committed: each request hands its row to `InboxWriter` and waits;
the writer inserts everything queued so far in one transaction, so a burst of N activities costs
one commit rather than N. A replayed activity id is accepted (202) but stored and processed once.
A row that cannot be stored fails alone: the batch is then written row by row.

What the door refuses, in order, each with a clear message and nothing stored:

* 415 — a media type other than ActivityPub's (`application/activity+json`, or
  `application/ld+json` with the AS2 profile), or a charset other than UTF-8; 400 — a
  `Content-Encoding` (bodies are taken as sent, uncompressed);
* 413 — a body over `MAX_BODY`; 401/403/429 — the signature, the signer's node, the rate;
* 400 — anything beyond strict JSON (`federation/jsonld.py:loads_strict`) or JSON-LD we cannot
  read: it is normalised here exactly as the worker will normalise it (`normalise`), and every
  check below reads that normalised form, so compact terms, `as:` prefixes, full IRIs and
  embedded objects are all judged alike; the normalised form is what is stored;
* 400/422 — the shape: one `type` the worker handles (`HANDLED`, else 422), an `id` on the
  actor's host, one `actor` (the signer's key owner, else 401), single-valued properties that
  are not lists, every URI an absolute `http(s)` URI of at most `MAX_URI` characters, what each
  type must name or embed (`_needs`);
* 403 — an activity naming a subnet hosted here, or one of its posts, from a node that is not
  its partner (`SubnetGate`), asked of the database each time, so an unshare or a peer removal
  (by the CLI in another process too) holds from its commit on.

What must wait for the worker, because it needs the database state at processing time or a
fetch: whether the actor is a member of the subnet or may moderate it, whether the object
exists and whose it is, whether a Delete, Update or Like is by the object's author, the
partner's role (a partner is not the host), and actor documents named in an Update.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from aiohttp.helpers import parse_mimetype

from actors.clock import Clock
from actors.ids import LocalIds, host_of
from federation.client import BodyTooLarge, read_body
from federation.documents import ACTIVITY_JSON, LD_JSON
from federation.errors import RequestRefused
from federation.jsonld import MalformedDocument, loads_strict, normalise
from federation.limits import admit
from federation.remote import Directory, id_of
from federation.verify import verify_request
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
            new = await queues.add_inbox_items(self.db, list(unique.values()))
        except Exception:  # one bad row must not fail its neighbours: each is redone alone
            new, failed = await self._write_one_by_one(list(unique.values()))
            for row, future in batch:
                error = failed.get(row["activity_id"])
                if error is not None and not future.done():
                    future.set_exception(error)
        claimed: set[str] = set()
        for row, future in batch:
            activity_id = row["activity_id"]
            is_new = activity_id in new and activity_id not in claimed
            claimed.add(activity_id)
            if not future.done():
                future.set_result(is_new)
        self.wake.set()

    async def _write_one_by_one(
        self, rows: list[dict[str, Any]]
    ) -> tuple[set[str], dict[str, Exception]]:
        """Each row in its own transaction: the new ids, and the error of each row that failed."""
        new: set[str] = set()
        failed: dict[str, Exception] = {}
        for row in rows:
            try:
                new |= await queues.add_inbox_items(self.db, [row])
            except Exception as error:  # reported to that row's request alone
                log.warning("inbox row not stored: error=%s", type(error).__name__)
                failed[row["activity_id"]] = error
        return new, failed


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


@dataclass(frozen=True)
class _Question:
    """What one activity names that the gate must look up, and who sent it."""

    slugs: set[str]
    post_ids: set[str]
    others: set[str]
    peer_id: str

    def slugs_named(self, ids: LocalIds, subnets: dict[str, str]) -> set[str]:
        """Our subnets it names, directly or through one of their posts (ours or a partner's)."""
        found = set(self.slugs)
        for key in (*self.post_ids, *self.others):
            slug = ids.subnet_slug(subnets[key]) if key in subnets else None
            if slug is not None:
                found.add(slug)
        return found


@dataclass
class SubnetGate:
    """Refuses, before anything is stored, an activity about a subnet hosted here from a node
    that was never offered it (not a partner, nor invited to be one).

    "About" means any URI anywhere in the (normalised) activity naming one of our subnets (or a
    collection under it), one of our posts, or a partner's post in one of our subnets (a URI on
    a third host that we hold a reference of): as `object`, `target`, `audience`, `to`, `cc`,
    `inReplyTo`, inside an embedded object, in a one-item list — however it is written.
    Invited nodes pass: a new partner's first Join may arrive before its Accept is processed.
    Nothing is remembered between requests: the database is asked for every activity, so the
    end of a share or of a peering holds from the moment it commits, whichever process (a
    `sharon subnet unshare` run beside the server included) ended it. The activities that
    reach the gate in one turn of the event loop are asked about together, as the inbox's
    writer commits them together: one read (one or two small Core queries, built once, on a
    read-only connection that never waits for the writer) answers them all."""

    db: Database
    ids: LocalIds
    _asked: list[tuple[_Question, asyncio.Future[bool]]] = field(default_factory=list, init=False)
    _answering: set[asyncio.Task[None]] = field(default_factory=set, init=False)

    async def refuses(self, activity: dict[str, Any], peer: Peer) -> bool:
        slugs, post_ids, others = self._named(activity, peer.host)
        if not slugs and not post_ids and not others:
            return False
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        self._asked.append((_Question(slugs, post_ids, others, peer.id), answer))
        if len(self._asked) == 1:  # the first this turn: answer them all once the turn is done
            loop.call_soon(self._start_answering)
        return await answer

    def _start_answering(self) -> None:
        task = asyncio.create_task(self._answer())
        self._answering.add(task)  # the loop holds running tasks only weakly
        task.add_done_callback(self._answering.discard)

    async def _answer(self) -> None:
        asked, self._asked = self._asked, []
        try:
            async with self.db.reading() as s:
                subnets = await post_store.subnets_of(
                    s,
                    {post_id for question, _ in asked for post_id in question.post_ids},
                    {uri for question, _ in asked for uri in question.others},
                )
                named = [question.slugs_named(self.ids, subnets) for question, _ in asked]
                open_pairs = await subnet_store.open_to(
                    s,
                    {slug for slugs in named for slug in slugs},
                    {question.peer_id for question, _ in asked},
                )
            for (question, answer), slugs in zip(asked, named, strict=True):
                if not answer.done():
                    answer.set_result(
                        bool(slugs)
                        and any((slug, question.peer_id) not in open_pairs for slug in slugs)
                    )
        except Exception as error:  # each waiting request fails with it (the server's 500)
            for _, answer in asked:
                if not answer.done():
                    answer.set_exception(error)
        finally:  # only if this task was cancelled (the server stopping): so are its requests
            for _, answer in asked:
                if not answer.done():
                    answer.cancel()

    def _named(self, activity: dict[str, Any], sender: str) -> tuple[set[str], set[str], set[str]]:
        """Slugs of our subnets and ids of our posts named anywhere in the activity, and the
        URIs on third hosts it names (which may be partners' posts in our subnets)."""
        slugs: set[str] = set()
        post_ids: set[str] = set()
        others: set[str] = set()
        prefix = self.ids.subnet("")
        for uri in _strings(activity):
            if not self.ids.is_local(uri):
                if uri.startswith(("http://", "https://")) and host_of(uri) not in (
                    sender,
                    "www.w3.org",  # the Public collection, named by most activities
                ):
                    others.add(uri.split("#", 1)[0])
                continue
            if uri.startswith(prefix):
                slug = uri.removeprefix(prefix).split("/", 1)[0].split("?", 1)[0].split("#")[0]
                slugs.add(slug)
            elif (post_id := self.ids.post_id(uri.split("#", 1)[0])) is not None:
                post_ids.add(post_id)
        return slugs, post_ids, others


def _strings(document: Any) -> list[str]:
    """Every string value in a document (iteratively; the document passed the shape check)."""
    found, stack = [], [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            stack.extend(v for k, v in value.items() if k != "@context")
        elif isinstance(value, list):
            stack.extend(value)
    return found


@dataclass
class InboxRoute:
    directory: Directory
    writer: InboxWriter
    base_url: str
    clock: Clock
    gate: SubnetGate

    async def post(self, request: web.Request) -> web.Response:
        refused = _unreadable(request)
        if refused is not None:
            return _error(*refused)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, f"request body is larger than {MAX_BODY} bytes")
        try:  # read to the end: `read(n)` returns only what has arrived so far
            body = await read_body(request.content, MAX_BODY)
        except BodyTooLarge:
            return _error(413, f"request body is larger than {MAX_BODY} bytes")
        try:
            verified = await verify_request(
                request, body, self.directory, self.base_url, now=self.directory.clock()
            )
            admit(self.directory.limiter, verified.peer)
        except RequestRefused as refused_request:
            log.info("inbox refused: status=%s reason=%s", refused_request.status, refused_request)
            return _error(refused_request.status, str(refused_request), refused_request.headers)
        try:
            activity = normalise(loads_strict(body))
        except MalformedDocument as error:
            return _error(400, f"malformed activity: {error}")
        problem = _problem(activity, verified.signer)
        if problem is not None:
            return _error(*problem)
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
        try:
            new = await self.writer.accept(row)
        except Exception:  # this row alone could not be stored (the writer logged why)
            return _error(
                503,
                "the activity could not be stored now; send it again later",
                {"Retry-After": "60"},
            )
        log.debug("inbox accepted: peer=%s new=%s", verified.peer.host, new)
        return web.json_response({"accepted": True, "duplicate": not new}, status=202)


MEDIA_TYPES = (ACTIVITY_JSON, "application/ld+json")
AS2_PROFILE = "https://www.w3.org/ns/activitystreams"


def _unreadable(request: web.Request) -> tuple[int, str] | None:
    """Why the body cannot be read as an activity, judged from its headers (before reading it)."""
    header = request.headers.get(hdrs.CONTENT_TYPE, "")
    media = parse_mimetype(header)
    kind = f"{media.type}/{media.subtype}" + (f"+{media.suffix}" if media.suffix else "")
    profiles = media.parameters.get("profile", "").split()
    if kind not in MEDIA_TYPES or (kind == "application/ld+json" and AS2_PROFILE not in profiles):
        return 415, f"Content-Type must be {ACTIVITY_JSON} or {LD_JSON}, not {header[:100]!r}"
    charset = media.parameters.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return 415, f"the body must be UTF-8, not {charset[:40]!r}"
    coding = request.headers.get(hdrs.CONTENT_ENCODING, "identity").strip().lower()
    if coding not in ("", "identity"):
        return 400, f"Content-Encoding {coding[:40]!r} is not accepted; send the body uncompressed"
    return None


MAX_URI = 255
"""Longest URI accepted (the width of every URI column)."""
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
"""Whitespace as `str.isspace()` has it (a str pattern's whitespace class is that very set), C0,
DEL and C1 controls."""
HANDLED = frozenset(
    {
        "Create",
        "Announce",
        "Update",
        "Delete",
        "Like",
        "Undo",
        "Join",
        "Leave",
        "Invite",
        "Accept",
        "Reject",
        "Remove",
        "Add",
        "Flag",
        "Block",
    }
)
"""The activity types the processing worker acts on; anything else is refused with 422."""
SINGLE = ("actor", "object", "target", "origin", "instrument", "inReplyTo", "result")
"""Properties that name one thing: a list there is refused (400), not read as its first item."""
URI_KEYS = (
    "id",
    "actor",
    "object",
    "target",
    "origin",
    "instrument",
    "inReplyTo",
    "audience",
    "to",
    "cc",
    "bto",
    "bcc",
    "attributedTo",
    "context",
    "result",
)
EMBEDS = frozenset({"Accept", "Reject", "Undo", "Update"})
"""Types whose `object` must be embedded (the activity or document they are about)."""
NEEDS_TARGET = frozenset({"Create", "Add"})
OWN_OBJECT = frozenset({"Create", "Update"})
"""Types whose object lives on the sender's node (a post is created and edited at its home)."""


def _problem(activity: dict[str, Any], signer: str) -> tuple[int, str] | None:
    """Why a normalised activity is malformed (400), of a type not handled here (422), or not
    the signer's to send (401), if it is."""
    kind = activity.get("type")
    if not isinstance(kind, str):
        return 400, "an activity needs exactly one type"
    if kind not in HANDLED:
        return 422, f"this node does not handle {kind[:40]!r} activities"
    problem = _uris_problem(activity, 0)
    if problem is not None:
        return 400, problem
    activity_id, actor = activity.get("id"), id_of(activity.get("actor"))
    if not isinstance(activity_id, str):
        return 400, "an activity needs an id"
    if not actor:
        return 400, "an activity needs an actor"
    if actor != signer:
        return 401, "the signing key does not belong to the activity's actor"
    if host_of(activity_id) != host_of(actor):
        return 400, "the activity id is not on its actor's host"
    obj = activity.get("object")
    if obj is None or (isinstance(obj, dict) and not obj.get("id") and kind not in EMBEDS):
        return 400, f"a {kind} must name its object"
    if kind in EMBEDS and not (isinstance(obj, dict) and isinstance(obj.get("type"), str)):
        return 400, f"a {kind} must embed what it is about, with its type"
    if kind in OWN_OBJECT and host_of(id_of(obj) or "") != host_of(actor):
        return 400, f"a {kind}'s object must be on the sender's host"
    if kind in NEEDS_TARGET and not (activity.get("target") or activity.get("audience")):
        return 400, f"a {kind} must name its target"
    if kind == "Undo" and id_of(obj.get("actor")) != actor:
        return 400, "an Undo must embed an activity of its own actor"
    return None


def _uris_problem(node: dict[str, Any], depth: int) -> str | None:
    """Single-valued properties hold one value; every URI is an absolute http(s) URI that fits;
    the same one level down, in an embedded object."""
    for key in SINGLE:
        if isinstance(node.get(key), list):
            return f"{key} must name one object, not a list"
    for key in URI_KEYS:
        value = node.get(key)
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, dict):
                if depth >= 2:
                    return f"{key} embeds objects too deeply"
                if (inner := _uris_problem(item, depth + 1)) is not None:
                    return inner
                continue
            if not isinstance(item, str):
                return f"{key} must be a URI or an object"
            if (bad := _uri_problem(item)) is not None:
                return f"{key}: {bad}"
    return None


def _uri_problem(uri: str) -> str | None:
    if len(uri) > MAX_URI:
        return f"a URI is longer than {MAX_URI} characters"
    if _SPACE_OR_CONTROL.search(uri):
        return "a URI holds spaces or control characters"
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "a URI cannot be parsed"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"only absolute http(s) URIs are accepted, not {parts.scheme or 'relative'!r} ones"
    return None
