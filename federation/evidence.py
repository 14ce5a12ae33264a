"""Pooled evidence: a trust asks the others taking part in a shared subnet for their monthly
figures, and answers them for its own.

Only figures already suppressed by `actors/evidence.py` travel: the answer is built from
`ShownMonth`s (counts hidden or rounded, medians of 8 or more, and each median's distribution
of times suppressed as actors/distribution.py says), never rows. The asking node
signs a GET to `/evidence/figures?subnet=<uri>&month=YYYY-MM…` with its instance actor; the
answering node checks the signature, that the signer is an agreed peer taking part in that
subnet (else 404, as for anything it may not see), and answers JSON. The asker checks that
every figure arrived suppressed (`valid_shown_month`; a partner on an older version sends no
distributions, and its counts still pool) and treats anything else, a timeout or
an error, as "did not answer" — the page names that trust rather than failing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from actors import evidence
from actors.clock import Clock
from actors.errors import Invalid, NotFound
from actors.ids import LocalIds
from federation.client import FetchError, SignedClient, preferred_scheme
from federation.errors import RequestRefused
from federation.jsonld import MalformedDocument
from federation.limits import admit
from federation.remote import Directory
from federation.verify import verify_request
from storage import peers as peer_store
from storage.engine import Database
from storage.models import Peer

log = logging.getLogger(__name__)
PATH = "/evidence/figures"
DEFAULT_TIMEOUT = 5.0


def figures_url(peer: Peer, subnet_uri: str, months: Sequence[str]) -> str:
    pairs = [("subnet", subnet_uri), *(("month", month) for month in months)]
    return f"{peer.url}{PATH}?{urlencode(pairs)}"


def read_answer(document: Mapping[str, object], months: Sequence[str]) -> evidence.TrustFigures:
    """A partner's answer, every month checked to be suppressed; Invalid otherwise."""
    found = document.get("months")
    if not isinstance(found, list):
        raise Invalid("no months")
    shown = [evidence.valid_shown_month(month) for month in found]
    if [m.month for m in shown] != list(months):
        raise Invalid("not the months asked for")
    return evidence.TrustFigures(str(document.get("trust", "")), shown)


@dataclass
class LivePartnerFigures:
    """The `PartnerFigures` the web UI asks: one signed GET per trust, all at once."""

    db: Database
    ids: LocalIds
    client: SignedClient
    timeout: float = DEFAULT_TIMEOUT

    async def gather(
        self, asks: Sequence[evidence.PoolAsk], subnet_uri: str, months: Sequence[str]
    ) -> Mapping[str, evidence.TrustFigures | None]:
        if not asks:
            return {}
        async with self.db.transaction() as s:
            peers = {p.id: p for p in await peer_store.list_peers(s) if p.state != "removed"}
        wanted = [ask for ask in asks if ask.peer_id in peers]
        answers = await asyncio.gather(
            *(self._ask(peers[ask.peer_id], subnet_uri, months) for ask in wanted)
        )
        return {ask.peer_id: answer for ask, answer in zip(wanted, answers, strict=True)}

    async def _ask(
        self, peer: Peer, subnet_uri: str, months: Sequence[str]
    ) -> evidence.TrustFigures | None:
        try:
            async with asyncio.timeout(self.timeout):
                document = await self.client.get_json(
                    figures_url(peer, subnet_uri, months),
                    signer=self.ids.instance,
                    scheme=preferred_scheme(peer.signature_schemes),
                )
            return read_answer(document, months)
        except (
            FetchError,
            MalformedDocument,
            Invalid,
            aiohttp.ClientError,
            OSError,
            TimeoutError,
        ) as error:
            log.info("evidence from %s did not come: %s", peer.host, type(error).__name__)
            return None


@dataclass
class EvidenceRoute:
    """The answering side: this trust's shown figures for a partner taking part."""

    db: Database
    ids: LocalIds
    directory: Directory
    clock: Clock
    out_of_hours: Callable[[datetime], bool]
    trust_name: str

    def register(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.get)

    async def get(self, request: web.Request) -> web.Response:
        try:
            verified = await verify_request(
                request, None, self.directory, self.ids.base, now=self.clock()
            )
            admit(self.directory.limiter, verified.peer)
        except RequestRefused as refused:
            return web.json_response(
                {"error": str(refused)}, status=refused.status, headers=refused.headers
            )
        try:
            async with self.db.transaction() as s:
                found = await evidence.answer_partner(
                    s,
                    self.ids,
                    peer=verified.peer,
                    subnet_uri=request.query.get("subnet", ""),
                    months=request.query.getall("month", []),
                    out_of_hours=self.out_of_hours,
                    trust_name=self.trust_name,
                )
        except Invalid as error:
            return web.json_response({"error": str(error)}, status=400)
        except NotFound:
            return web.json_response({"error": "no such subnet"}, status=404)
        body = {"trust": found.trust, "months": [m.as_json() for m in found.months]}
        return web.Response(
            body=json.dumps(body, ensure_ascii=False).encode(), content_type="application/json"
        )
