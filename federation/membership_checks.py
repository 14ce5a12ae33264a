"""Is this reader a member of that subnet? Asked of the subnet's home when nobody else knows.

A post's home serves it only to a reader who is a member of the post's subnet on the asking
node. When the subnet is hosted here, or by the asking node itself, that is known or vouched
for. When a third node hosts it (a post written here in a subnet of node H, read by a member
of partner C), only H knows C's members: we ask H with a signed GET of the subnet's followers
collection naming the reader (`…/followers?member=<uri>`), which H answers, to a partner of
the subnet only, with that one URI if it is an active member and nothing otherwise; a post
held or hidden by moderation is read only for a moderator, asked as `…&role=moderator`. Positive
answers are remembered in RAM for a few minutes; a failure to ask is a "no".
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

from actors.clock import Clock
from actors.ids import LocalIds
from federation.cache import TTLCache
from federation.client import TRANSPORT_ERRORS, FetchError, SignedClient, preferred_scheme
from storage import peers as peer_store
from storage.engine import Database

log = logging.getLogger(__name__)
REMEMBERED = timedelta(minutes=5)


@dataclass
class MembershipConfirmer:
    db: Database
    ids: LocalIds
    client: SignedClient
    clock: Clock
    _known: TTLCache[bool] = field(init=False)

    def __post_init__(self) -> None:
        self._known = TTLCache(max_entries=10_000, ttl=REMEMBERED, clock=self.clock)

    async def confirmed(
        self, subnet_uris: Collection[str], reader_uri: str, *, moderator: bool = False
    ) -> set[str]:
        """The subnets among `subnet_uris` whose home says `reader_uri` is a member (with
        `moderator`, one of its moderators)."""
        confirmed = set()
        for subnet_uri in subnet_uris:
            key = f"{subnet_uri} {reader_uri}{' moderator' if moderator else ''}"
            if self._known.get(key) or await self._ask(subnet_uri, reader_uri, moderator):
                self._known.put(key, True)
                confirmed.add(subnet_uri)
        return confirmed

    async def _ask(self, subnet_uri: str, reader_uri: str, moderator: bool) -> bool:
        async with self.db.transaction() as s:
            group = await peer_store.remote_actor(s, subnet_uri)
            home = await peer_store.peer_by_id(s, group.peer_id) if group else None
        if group is None or group.kind != "Group" or home is None or home.state == "removed":
            return False
        try:
            answer = await self.client.get_json(
                f"{subnet_uri}/followers?member={quote(reader_uri, safe='')}"
                + ("&role=moderator" if moderator else ""),
                signer=self.ids.instance,
                scheme=preferred_scheme(home.signature_schemes),
            )
        except TRANSPORT_ERRORS as error:
            log.info("membership not confirmed by %s: %s", home.host, type(error).__name__)
            if not isinstance(error, FetchError) or error.status not in (404, None):
                async with self.db.transaction() as s:
                    await peer_store.note_fetch_failure(
                        s, home.id, self.clock(), "confirming a member: no usable answer"
                    )
            return False
        items = answer.get("orderedItems")
        return isinstance(items, list) and reader_uri in items
