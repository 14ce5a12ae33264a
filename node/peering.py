"""The web UI's way to agree peers (`actors.peering.Peering`), done by `federation.peering`.

It lives in `node/` because the web UI never talks federation: the admin's pages see only the
protocol, and this adapter joins it to the same `add_peer` the CLI's `sharon peer add` uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from actors.clock import Clock
from actors.errors import Invalid
from actors.ids import LocalIds, host_of
from actors.peering import Candidate
from federation.client import FetchError, get_public_json
from federation.keys import fingerprint, load_public_pem
from federation.peering import PeeringError, add_peer, normalise_url
from federation.remote import PeerTable, object_at
from storage import audit
from storage.engine import Database


@dataclass
class LivePeering:
    db: Database
    http: aiohttp.ClientSession
    ids: LocalIds
    clock: Clock
    table: PeerTable

    async def look_up(self, url: str) -> Candidate:
        """The node's name and instance-key fingerprint, from its public actor document."""
        try:
            base = normalise_url(url)
            actor = await get_public_json(self.http, f"{base}/actor")
        except (PeeringError, FetchError) as error:
            raise Invalid(str(error), "peer-url") from None
        key = object_at(actor, "publicKey")
        try:
            pinned = fingerprint(load_public_pem(str(key.get("publicKeyPem"))))
        except ValueError:
            raise Invalid(f"{base} publishes no readable key", "peer-url") from None
        name = actor.get("name")
        return Candidate(base, name if isinstance(name, str) and name else host_of(base), pinned)

    async def agree(self, url: str, *, fingerprint: str, who: str) -> Candidate:
        seen = await self.look_up(url)
        if seen.fingerprint != fingerprint:
            raise Invalid(
                f"{seen.url} now shows another key than the one you confirmed; look it up again",
                "peer-url",
            )
        now = self.clock()
        try:
            peer = await add_peer(self.db, self.http, self.ids, seen.url, now)
        except PeeringError as error:
            raise Invalid(str(error), "peer-url") from None
        async with self.db.transaction() as s:
            await audit.record(
                s, at=now, who=who, action="peer.agreed", target=peer.url, via=peer.key_fingerprint
            )
        self.changed()
        return Candidate(peer.url, peer.name, peer.key_fingerprint)

    def changed(self) -> None:
        self.table.forget()
