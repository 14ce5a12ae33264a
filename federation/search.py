"""Searching posts at their homes: the `RemoteSearcher` that `actors/search.py` asks, and the
endpoint a home answers it with.

The searching node sends one signed GET per home node (`/objects/search?q=…&in=<subnet>&
for=<reader>…`, the reader named per subnet, as the batched `/objects` fetch names its reader),
all at once, and waits at most `timeout` seconds: a home that has not answered by then, or that
cannot be reached, is reported as unanswered rather than failing the search. The home answers
with the Notes of its own posts that match, only in subnets the asking node takes part in, and
audits each as a read. The text found is used for the page and not kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import aiohttp
from multidict import MultiMapping

from actors import search
from actors.errors import Invalid
from actors.ids import LocalIds, host_of
from actors.posts import ResolvedContent
from actors.search import Scope
from federation import documents
from federation.client import FetchError, SignedClient, preferred_scheme
from federation.jsonld import MalformedDocument, normalise
from federation.reading import avatar_of, plain_text
from federation.remote import id_of
from storage import peers as peer_store
from storage.engine import Database
from storage.models import Peer

log = logging.getLogger(__name__)
PATH = "/objects/search"
SCOPES_PER_REQUEST = 20  # keeps the request line far below servers' 8 KB limit
DEFAULT_TIMEOUT = 3.0


def search_url(peer: Peer, terms: Sequence[str], scopes: Sequence[search.Scope]) -> str:
    pairs = [("q", " ".join(terms))]
    for scope in scopes:
        pairs += [("in", scope.subnet_uri), ("for", scope.reader_uri)]
    return f"{peer.url}{PATH}?{urlencode(pairs)}"


def found_in(document: documents.Document, peer: Peer) -> dict[str, ResolvedContent]:
    """The Notes of a home's answer, each by its id; only posts (and authors) of that home."""
    collection = normalise(document)
    items = collection.get("items") or []
    found = {}
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        author = item.get("attributedTo")
        author_uri = id_of(author)
        if host_of(item["id"]) != peer.host or not author_uri or host_of(author_uri) != peer.host:
            continue
        name = author.get("name") if isinstance(author, dict) else None
        found[item["id"]] = ResolvedContent(
            author_uri, str(name or "Member"), plain_text(item), avatar=avatar_of(author, peer)
        )
    return found


@dataclass
class LiveSearcher:
    db: Database
    ids: LocalIds
    client: SignedClient
    timeout: float = DEFAULT_TIMEOUT

    async def search(
        self, asks: Sequence[search.RemoteAsk], terms: Sequence[str]
    ) -> search.RemoteAnswers:
        if not asks:
            return search.RemoteAnswers({}, frozenset())
        async with self.db.transaction() as s:
            peers = {p.id: p for p in await peer_store.list_peers(s) if p.state != "removed"}
        requests = [
            (ask.peer_id, ask.scopes[i : i + SCOPES_PER_REQUEST])
            for ask in asks
            if ask.peer_id in peers
            for i in range(0, len(ask.scopes), SCOPES_PER_REQUEST)
        ]
        answers = await asyncio.gather(
            *(self._ask(peers[peer_id], terms, scopes) for peer_id, scopes in requests)
        )
        found: dict[str, ResolvedContent] = {}
        unanswered = {ask.peer_id for ask in asks if ask.peer_id not in peers}
        for (peer_id, _), answer in zip(requests, answers, strict=True):
            if answer is None:
                unanswered.add(peer_id)
            else:
                found.update(answer)
        return search.RemoteAnswers(found, frozenset(unanswered))

    async def _ask(
        self, peer: Peer, terms: Sequence[str], scopes: Sequence[Scope]
    ) -> dict[str, ResolvedContent] | None:
        try:
            async with asyncio.timeout(self.timeout):
                document = await self.client.get_json(
                    search_url(peer, terms, scopes),
                    signer=self.ids.instance,
                    scheme=preferred_scheme(peer.signature_schemes),
                )
            return found_in(document, peer)
        except (FetchError, MalformedDocument, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.info("search at %s did not answer: %s", peer.host, type(error).__name__)
            return None


async def answer(
    query: MultiMapping[str],
    peer: Peer,
    db: Database,
    ids: LocalIds,
    now: datetime,
) -> list[documents.Document]:
    """The home's side: the matching Notes `peer` may read for the readers it names (one per
    subnet, `in=` and `for=` in pairs); Invalid when the request is malformed."""
    subnet_uris, readers = query.getall("in", []), query.getall("for", [])
    if not subnet_uris or len(subnet_uris) != len(readers) or len(subnet_uris) > 100:
        raise Invalid("give between 1 and 100 pairs of in= and for= parameters")
    terms = search.terms_of(query.get("q", ""))
    scopes = [search.Scope(u, r) for u, r in zip(subnet_uris, readers, strict=True)]
    async with db.transaction() as s:
        found = await search.search_for_peer(s, ids, peer=peer, scopes=scopes, terms=terms, now=now)
    return [documents.render_authored(ids, item) for item in found]
