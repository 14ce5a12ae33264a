"""What waits at a subnet's home, asked for one of our moderators: the `HomeQueues` that
`actors/home_queue.py` declares, and the home's answer.

The partner sends one signed GET per subnet (`<subnet>/queue?for=<moderator>`), all at once,
and waits at most `timeout` seconds; a home that does not answer in time, refuses, or answers
something malformed is left out (its subnets show only what this node knows). The home
answers a partner of the subnet, for a moderator it granted on that partner's node, with a
Collection of references: a `Note` (id, `audience`, `published`, `moderationState`) for each
post waiting and a `Flag` (`object`, `content`: the reason code, `published`) for each open
report — never the reporter, never text.

The header of every staff page counts what waits for the moderator, home items included, but
must not wait on a partner: a page load never makes a remote request. So every answer is
also kept in memory, per moderator and subnet, and `recent` (the header's) answers from
there at once: an answer younger than `fresh` seconds as is; an older one (up to `keep`
seconds) still counts while one background ask per moderator and subnet, at most once per
`fresh` seconds whatever came of the last (and allowed `background_timeout`, as no page waits
on it), refreshes it for the next page. A bounded fetch on each page load was the alternative;
it would still cost every page up to its time limit whenever a home is slow or down. The
queue page and the subnet's moderation page always ask live (and refresh the memory), so
what a moderator acts on is never stale; nothing is ever written to disk.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from actors import home_queue
from actors.home_queue import AtHome
from actors.ids import LocalIds
from actors.reports import REASONS
from federation import documents
from federation.client import TRANSPORT_ERRORS, SignedClient, preferred_scheme
from federation.jsonld import MalformedDocument, normalise
from federation.remote import id_of
from storage import peers as peer_store
from storage.engine import Database
from storage.models import Peer

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 3.0
BACKGROUND_TIMEOUT = 20.0  # nobody waits on a background ask: a slow home still answers
FRESH_SECONDS = 30.0
KEEP_SECONDS = 300.0


class BadAnswer(Exception):
    """A home's queue answer that cannot be used; the message is safe to log."""


def render(subnet_uri: str, waiting: Sequence[AtHome]) -> documents.Document:
    items: list[documents.Document] = []
    for w in waiting:
        if w.kind == "post":
            items.append(
                {
                    "id": w.object_uri,
                    "type": "Note",
                    "audience": subnet_uri,
                    "published": documents.iso(w.since),
                    "moderationState": w.state,
                }
            )
        else:
            items += [
                {
                    "type": "Flag",
                    "object": w.object_uri,
                    "audience": subnet_uri,
                    "content": reason,
                    "published": documents.iso(w.since),
                }
                for reason in w.reasons
            ]
    return documents.render_collection(items)


def _when(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadAnswer("a time is not a date and time") from None
    if moment.tzinfo is None:
        raise BadAnswer("a time has no time zone")
    return moment


def parse(document: Mapping[str, Any], subnet_uri: str) -> list[AtHome]:
    """The waiting posts and reports of a home's answer, each checked to be of `subnet_uri`."""
    items = document.get("items") or []
    found: list[AtHome] = []
    reports: dict[str, tuple[datetime, list[str]]] = {}
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, dict) or id_of(item.get("audience")) != subnet_uri:
            raise BadAnswer("an item is not of the subnet asked about")
        kind = item.get("type")
        if kind == "Note":
            uri, state = item.get("id"), item.get("moderationState")
            if not isinstance(uri, str) or state not in home_queue.WAITING_STATES:
                raise BadAnswer("a waiting post has no id or state")
            found.append(AtHome("post", uri, _when(item.get("published")), str(state)))
        elif kind == "Flag":
            uri, reason = id_of(item.get("object")), item.get("content")
            if not uri or reason not in REASONS:
                raise BadAnswer("a report has no post or reason")
            reports.setdefault(uri, (_when(item.get("published")), []))[1].append(str(reason))
        else:
            raise BadAnswer("an item is neither a post nor a report")
    found += [
        AtHome("report", uri, since, reasons=tuple(reasons))
        for uri, (since, reasons) in reports.items()
    ]
    return found


@dataclass
class LiveHomeQueues:
    db: Database
    ids: LocalIds
    client: SignedClient
    timeout: float = DEFAULT_TIMEOUT
    background_timeout: float = BACKGROUND_TIMEOUT
    fresh: float = FRESH_SECONDS
    keep: float = KEEP_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    _answers: dict[home_queue.Ask, tuple[float, list[AtHome]]] = field(default_factory=dict)
    _tried: dict[home_queue.Ask, float] = field(default_factory=dict)
    _refreshing: set[asyncio.Task[object]] = field(default_factory=set)

    async def waiting(self, asks: Sequence[home_queue.Ask]) -> Mapping[str, Sequence[AtHome]]:
        return await self._remember(asks, self.timeout)

    async def _remember(
        self, asks: Sequence[home_queue.Ask], within: float
    ) -> Mapping[str, Sequence[AtHome]]:
        answered = await self._waiting(asks, within)
        now = self.monotonic()
        for ask in asks:
            self._tried[ask] = now
            answer = answered.get(ask.subnet_uri)
            if answer is None:  # refused or unreachable: the header counts what we know
                self._answers.pop(ask, None)
            else:
                self._answers[ask] = (now, list(answer))
        return answered

    def recent(
        self, asks: Sequence[home_queue.Ask], *, refresh: bool = True
    ) -> Mapping[str, Sequence[AtHome]]:
        now = self.monotonic()
        self._forget(now)
        found: dict[str, Sequence[AtHome]] = {}
        stale = []
        for ask in asks:
            if (entry := self._answers.get(ask)) is not None:
                found[ask.subnet_uri] = entry[1]
            tried = self._tried.get(ask)
            if (
                refresh
                and (entry is None or now - entry[0] >= self.fresh)
                and (tried is None or now - tried >= self.fresh)
            ):
                stale.append(ask)
                self._tried[ask] = now
        if stale:
            task: asyncio.Task[object] = asyncio.create_task(
                self._remember(stale, self.background_timeout)
            )
            self._refreshing.add(task)
            task.add_done_callback(self._refreshed)
        return found

    def _forget(self, now: float) -> None:
        for ask in [a for a, (at, _) in self._answers.items() if now - at >= self.keep]:
            del self._answers[ask]
        for ask in [a for a, at in self._tried.items() if now - at >= self.keep]:
            del self._tried[ask]

    def _refreshed(self, task: asyncio.Task[object]) -> None:
        self._refreshing.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.warning("refreshing what waits at homes failed: %s", type(error).__name__)

    async def close(self) -> None:
        """Stop background asks (at shutdown, before the HTTP client closes)."""
        for task in list(self._refreshing):
            task.cancel()
        await asyncio.gather(*self._refreshing, return_exceptions=True)

    async def _waiting(
        self, asks: Sequence[home_queue.Ask], within: float
    ) -> Mapping[str, Sequence[AtHome]]:
        homes: list[tuple[home_queue.Ask, Peer]] = []
        async with self.db.transaction() as s:
            for ask in asks:
                group = await peer_store.remote_actor(s, ask.subnet_uri)
                peer = await peer_store.peer_by_id(s, group.peer_id) if group else None
                if group is not None and group.kind == "Group" and peer is not None:
                    if peer.state != "removed":
                        homes.append((ask, peer))
        answers = await asyncio.gather(*(self._ask(ask, peer, within) for ask, peer in homes))
        return {
            ask.subnet_uri: answer
            for (ask, _), answer in zip(homes, answers, strict=True)
            if answer is not None
        }

    async def _ask(self, ask: home_queue.Ask, peer: Peer, within: float) -> list[AtHome] | None:
        url = f"{ask.subnet_uri}/queue?for={quote(ask.reader_uri, safe='')}"
        try:
            async with asyncio.timeout(within):
                document = await self.client.get_json(
                    url, signer=self.ids.instance, scheme=preferred_scheme(peer.signature_schemes)
                )
            return parse(normalise(document), ask.subnet_uri)
        except (*TRANSPORT_ERRORS, MalformedDocument, BadAnswer) as error:
            log.info("queue at %s did not answer: %s", peer.host, type(error).__name__)
            return None
