"""Reading remote content live: the `ContentResolver` that `actors/` asks for post text.

References are grouped by their home node and fetched with one signed GET per node
(`/objects?id=…&for=<reader>`), naming the local member who reads so the home node can check
and audit it. Results live only in a bounded RAM cache with a short TTL; a read served from
that cache is reported to the post's home (`federation/read_reports.py`), so the home's audit
names every reader, not only the one whose read caused the fetch.

Each origin's answer is untrusted and harms only its own posts: whatever it sends — not
JSON, nested too deep, too large, too slow, the wrong types, ids nobody asked for, an author
on another host, a post of another subnet than its reference — the answer is dropped whole,
its posts show "could not be loaded", and the failure is counted in that peer's health. A post
is shown only in the subnet its reference belongs to.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from actors.avatars import heard_avatar
from actors.clock import Clock
from actors.ids import LocalIds, host_of
from actors.picture_files import FORMATS, PictureInfo
from actors.posts import RefToResolve, ResolvedContent
from actors.role_tags import heard_tag
from actors.text import TextRefused, line_text, post_text
from federation.cache import TTLCache
from federation.client import TRANSPORT_ERRORS, FetchError, SignedClient, preferred_scheme
from federation.jsonld import MalformedDocument, normalise
from federation.read_reports import ReadReporter
from federation.remote import id_of
from storage import peers as peer_store
from storage.engine import Database
from storage.models import Peer

log = logging.getLogger(__name__)
MAX_BATCH = 50
FETCH_TIME_LIMIT = 5.0


class BadAnswer(Exception):
    """An origin's answer that cannot be used; the message is safe to log (no content)."""


class _TextOf(HTMLParser):
    """The text of an HTML fragment (stdlib parser): tags dropped, entities decoded, and `<br>`
    and the end of a paragraph kept as line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(note: Mapping[str, Any]) -> str:
    """A Note's text: as is when it says text/plain, else HTML reduced to text (never trusted)."""
    content = note.get("content")
    if not isinstance(content, str):
        return ""
    if note.get("mediaType") == "text/plain":
        return content
    parser = _TextOf()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()


def batch_url(peer: Peer, uris: Sequence[str], reader_uri: str) -> str:
    return f"{peer.url}/objects?" + urlencode([("id", uri) for uri in uris] + [("for", reader_uri)])


def contents(
    collection: Mapping[str, Any], wanted: Mapping[str, str], peer: Peer
) -> dict[str, ResolvedContent]:
    """The notes of a batched answer, checked against what was asked: `wanted` maps each
    requested object URI to the subnet its reference belongs to. Raises BadAnswer if anything
    in the answer is not what a well-behaved home sends."""
    items = collection.get("items", [])
    if not isinstance(items, list):
        items = [items]
    results: dict[str, ResolvedContent] = {}
    for item in items:
        if not isinstance(item, dict):
            raise BadAnswer("an item is not an object")
        uri = item.get("id")
        if not isinstance(uri, str) or uri not in wanted or uri in results:
            raise BadAnswer("an item was not asked for")
        if item.get("type") != "Note" or not isinstance(item.get("content"), str):
            raise BadAnswer("an item is not a Note with text")
        if id_of(item.get("audience")) != wanted[uri]:
            raise BadAnswer("an item belongs to another subnet than its reference")
        author = item.get("attributedTo")
        author_uri = id_of(author)
        if author_uri is None or host_of(author_uri) != peer.host:
            raise BadAnswer("an item's author is not on the answering node")
        name = author.get("name") if isinstance(author, dict) else None
        if name is not None and not isinstance(name, str):
            raise BadAnswer("an author's name is not text")
        try:  # a peer's text follows our own text rules, or is not shown (actors/text.py)
            text = post_text(plain_text(item), "A post", None)
            shown = line_text(name or "", "A name", None)[:200] or "Member"
        except TextRefused:
            raise BadAnswer("an item holds control or direction-override characters") from None
        tag = heard_tag(author.get("staffRole")) if isinstance(author, dict) else None
        picture = picture_of(item, peer)
        avatar = avatar_of(author, peer)
        results[uri] = ResolvedContent(author_uri, shown, text, tag, picture, avatar)
    return results


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value


def avatar_of(author: object, peer: Peer) -> str | None:
    """The built-in avatar an author's `icon` names (`documents.render_icon`), when its
    address is one of ours on the answering node (`actors/avatars.heard_avatar`); any other
    icon, or none, is no avatar — never an error, and never an address to show."""
    icon = _first(author.get("icon")) if isinstance(author, dict) else None
    url = _first(icon.get("url")) if isinstance(icon, dict) else None
    if isinstance(url, dict):  # a Link: https://www.w3.org/TR/activitystreams-vocabulary/#dfn-link
        url = url.get("href")
    return heard_avatar(url, peer.host)


def _size(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 100_000:
        raise BadAnswer("a picture's width or height is not a sensible number")
    return value


def picture_of(note: Mapping[str, Any], peer: Peer) -> PictureInfo | None:
    """A Note's one `Image` attachment (ours: `documents.render_image`), checked: a JPEG, PNG
    or WebP served by the answering node, described (alt text). Other attachments are not
    understood, and ignored; a malformed Image spoils the answer (BadAnswer)."""
    attachments = note.get("attachment")
    if attachments is None:
        return None
    if not isinstance(attachments, list):
        attachments = [attachments]
    images = [a for a in attachments if isinstance(a, dict) and a.get("type") == "Image"]
    if not images:
        return None
    image = images[0]
    preview = image.get("preview")
    url, media_type = image.get("url"), image.get("mediaType")
    if not isinstance(preview, dict) or media_type not in FORMATS.values():
        raise BadAnswer("a picture is not a JPEG, PNG or WebP with a preview")
    thumbnail_url = preview.get("href")
    for link in (url, thumbnail_url):
        if not isinstance(link, str) or host_of(link) != peer.host:
            raise BadAnswer("a picture is not served by the answering node")
    name = image.get("name")
    try:
        alt = post_text(name if isinstance(name, str) else "", "A description", None)
    except TextRefused:
        raise BadAnswer("a picture's description holds refused characters") from None
    return PictureInfo(
        alt=alt[:1000] or "A picture (not described)",
        media_type=str(media_type),
        width=_size(image.get("width")),
        height=_size(image.get("height")),
        thumbnail_width=_size(preview.get("width")),
        thumbnail_height=_size(preview.get("height")),
        url=str(url),
        thumbnail_url=str(thumbnail_url),
    )


@dataclass
class LiveResolver:
    """Remote posts' content for a page: from the cache, else fetched from their homes.

    A post already being fetched for another page (from the same home, for the same subnet) is
    not asked for again: the page waits for that fetch and takes its answer as it would a cached
    one, its read reported to the home. So a busy subnet's page opened by many readers at once,
    with the cache cold, costs each home one batched request, not one per reader. The fetch runs
    as a task of its own, so a page that started it and goes away (its reader gone) leaves it
    to finish for the others.

    `resolve` must not be called inside a unit of work: the fetch takes the node's turn on the
    database (to read the peers, and to note a failed fetch) from another task."""

    db: Database
    ids: LocalIds
    client: SignedClient
    cache: TTLCache[ResolvedContent]
    clock: Clock
    reports: ReadReporter | None = None
    time_limit: float = FETCH_TIME_LIMIT
    _in_flight: dict[str, tuple[RefToResolve, asyncio.Task[dict[str, ResolvedContent]]]] = field(
        default_factory=dict, init=False
    )

    async def resolve(
        self, refs: Sequence[RefToResolve], reader_uri: str
    ) -> Mapping[str, ResolvedContent]:
        found: dict[str, ResolvedContent] = {}
        missing: dict[str, list[RefToResolve]] = defaultdict(list)
        joined: list[tuple[RefToResolve, asyncio.Task[dict[str, ResolvedContent]]]] = []
        for ref in refs:
            cached = self.cache.get(ref.object_uri)
            fetching = self._in_flight.get(ref.object_uri)
            if cached is not None:
                self._served(ref, cached, reader_uri, found)
            elif fetching is not None and fetching[0] == ref:
                joined.append((ref, fetching[1]))
            else:
                missing[ref.peer_id].append(ref)
        if missing:
            found.update(await asyncio.shield(self._start_fetching(missing, reader_uri)))
        for ref, fetch in joined:
            try:
                answers = await asyncio.shield(fetch)
            except Exception:  # logged as the fetch ended: this page shows "could not be loaded"
                answers = {}
            if ref.object_uri in answers:
                self._served(ref, answers[ref.object_uri], reader_uri, found)
        return found

    def _served(
        self,
        ref: RefToResolve,
        content: ResolvedContent,
        reader_uri: str,
        found: dict[str, ResolvedContent],
    ) -> None:
        """A post's content this page did not fetch itself: its read is reported to its home."""
        found[ref.object_uri] = content
        if self.reports is not None:
            self.reports.note(ref.peer_id, ref.object_uri, reader_uri)

    def _start_fetching(
        self, missing: Mapping[str, list[RefToResolve]], reader_uri: str
    ) -> asyncio.Task[dict[str, ResolvedContent]]:
        """The task fetching `missing` (home → its refs), registered for other pages to wait
        on until it ends."""
        fetch = asyncio.create_task(self._fetch_all(missing, reader_uri))
        mine = [ref for waiting in missing.values() for ref in waiting]
        for ref in mine:
            self._in_flight.setdefault(ref.object_uri, (ref, fetch))

        def landed(done: asyncio.Task[dict[str, ResolvedContent]]) -> None:
            for ref in mine:
                if self._in_flight.get(ref.object_uri, (None, None))[1] is done:
                    del self._in_flight[ref.object_uri]
            error = None if done.cancelled() else done.exception()
            if error is not None:
                log.warning("reading posts failed: error=%s", type(error).__name__)

        fetch.add_done_callback(landed)
        return fetch

    async def _fetch_all(
        self, missing: Mapping[str, list[RefToResolve]], reader_uri: str
    ) -> dict[str, ResolvedContent]:
        """One batched fetch per home (up to MAX_BATCH posts each), in parallel."""
        async with self.db.transaction() as s:
            peers = {p.id: p for p in await peer_store.list_peers(s)}
        batches = [
            (peers[peer_id], waiting[i : i + MAX_BATCH])
            for peer_id, waiting in missing.items()
            if peer_id in peers and peers[peer_id].state != "removed"
            for i in range(0, len(waiting), MAX_BATCH)
        ]
        found: dict[str, ResolvedContent] = {}
        for result in await asyncio.gather(
            *(self._fetch(peer, batch, reader_uri) for peer, batch in batches)
        ):
            found.update(result)
        return found

    async def _fetch(
        self, peer: Peer, refs: Sequence[RefToResolve], reader: str
    ) -> dict[str, ResolvedContent]:
        wanted = {ref.object_uri: ref.subnet_uri for ref in refs}
        try:
            async with asyncio.timeout(self.time_limit):
                document = await self.client.get_json(
                    batch_url(peer, list(wanted), reader),
                    signer=self.ids.instance,
                    scheme=preferred_scheme(peer.signature_schemes),
                )
            results = contents(normalise(document), wanted, peer)
        except (*TRANSPORT_ERRORS, MalformedDocument, BadAnswer) as error:
            await self._failed(peer, error)
            return {}
        for uri, content in results.items():
            self.cache.put(uri, content)
        return results

    async def _failed(self, peer: Peer, error: Exception) -> None:
        if isinstance(error, TimeoutError):
            reason = f"no answer within {self.time_limit:g} s"
        elif isinstance(error, FetchError | MalformedDocument | BadAnswer):
            reason = str(error)
        else:
            reason = f"could not connect ({type(error).__name__})"
        log.info("could not read content from %s: %s", peer.host, type(error).__name__)
        async with self.db.transaction() as s:
            await peer_store.note_fetch_failure(
                s, peer.id, self.clock(), f"reading posts: {reason}"
            )
