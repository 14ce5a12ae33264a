"""Reading remote content live: the `ContentResolver` that `actors/` asks for post text.

References are grouped by their home node and fetched with one signed GET per node
(`/objects?id=…&id=…&for=<reader>`), naming the local person who reads so the home node can
check and audit it. Results live only in a bounded RAM cache with a short TTL; a node that
cannot be reached just leaves its posts unresolved (the page says so) rather than failing.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from actors.ids import LocalIds
from actors.posts import RefToResolve, ResolvedContent
from federation.cache import TTLCache
from federation.client import FetchError, SignedClient, preferred_scheme
from federation.jsonld import MalformedDocument, normalise
from federation.remote import host_of
from storage import peers as peer_store
from storage.engine import Database
from storage.models import Peer

log = logging.getLogger(__name__)
MAX_BATCH = 50
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br|/p)\s*/?>", re.IGNORECASE)


def plain_text(note: Mapping[str, Any]) -> str:
    """A Note's text: as is when it says text/plain, else HTML reduced to text (never trusted)."""
    content = note.get("content")
    if not isinstance(content, str):
        return ""
    if note.get("mediaType") == "text/plain":
        return content
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content))).strip()


def batch_url(peer: Peer, uris: Sequence[str], reader_uri: str) -> str:
    return f"{peer.url}/objects?" + urlencode([("id", uri) for uri in uris] + [("for", reader_uri)])


@dataclass
class LiveResolver:
    db: Database
    ids: LocalIds
    client: SignedClient
    cache: TTLCache[ResolvedContent]

    async def resolve(
        self, refs: Sequence[RefToResolve], reader_uri: str
    ) -> Mapping[str, ResolvedContent]:
        found: dict[str, ResolvedContent] = {}
        missing: dict[str, list[str]] = defaultdict(list)
        for ref in refs:
            cached = self.cache.get(ref.object_uri)
            if cached is not None:
                found[ref.object_uri] = cached
            else:
                missing[ref.peer_id].append(ref.object_uri)
        if missing:
            async with self.db.transaction() as s:
                peers = {p.id: p for p in await peer_store.list_peers(s)}
            batches = [
                (peers[peer_id], uris[i : i + MAX_BATCH])
                for peer_id, uris in missing.items()
                if peer_id in peers and peers[peer_id].state != "removed"
                for i in range(0, len(uris), MAX_BATCH)
            ]
            for result in await asyncio.gather(
                *(self._fetch(peer, uris, reader_uri) for peer, uris in batches)
            ):
                found.update(result)
        return found

    async def _fetch(
        self, peer: Peer, uris: Sequence[str], reader: str
    ) -> dict[str, ResolvedContent]:
        try:
            document = await self.client.get_json(
                batch_url(peer, uris, reader),
                signer=self.ids.instance,
                scheme=preferred_scheme(peer.signature_schemes),
            )
            collection = normalise(document)
        except (FetchError, MalformedDocument, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.info("could not fetch content from %s: %s", peer.host, type(error).__name__)
            return {}
        wanted = set(uris)
        items = collection.get("items") or []
        results = {}
        for item in items if isinstance(items, list) else [items]:
            if not isinstance(item, dict) or item.get("id") not in wanted:
                continue
            author = item.get("attributedTo")
            author_uri = author.get("id") if isinstance(author, dict) else author
            if not isinstance(author_uri, str) or host_of(author_uri) != peer.host:
                continue
            name = author.get("name") if isinstance(author, dict) else None
            content = ResolvedContent(author_uri, str(name or "Member"), plain_text(item))
            self.cache.put(item["id"], content)
            results[item["id"]] = content
        return results
