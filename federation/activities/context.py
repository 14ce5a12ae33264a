"""What planners and handlers are given, and what they return.

A *planner* turns one `actors` event into (peer, activity, signer) triples — what to send to
whom, signed as whom; the delivery engine (federation/delivery.py) writes the rows. A *run
planner* does the same for consecutive events of one kind at once, with a fixed number of
queries however many (a busy subnet's accepted posts). A *handler*
turns one verified, normalised inbound activity into `actors` calls; the processing engine
(federation/processing.py) runs it in the batch's transaction. Neither sends or commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actors.ids import LocalIds
from actors.reports import Thresholds
from federation.cache import TTLCache
from federation.keys import NodeKeys
from federation.remote import Directory
from storage.models import Peer

Payload = dict[str, Any]
Activity = dict[str, Any]
Planned = list[tuple[Peer, Activity, str]]


@dataclass(frozen=True)
class Planning:
    """What a planner may read besides the database: our ids and keys (to render actors)."""

    ids: LocalIds
    keys: NodeKeys


@dataclass(frozen=True)
class Handling:
    """What a handler may touch besides the database: the actor directory (keys, peers) and
    the RAM content cache, which it purges of whatever it drops; and the node's report
    thresholds (when reports hide a post)."""

    ids: LocalIds
    directory: Directory
    cache: TTLCache[Any] | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)

    def forget(self, uris: Iterable[str]) -> None:
        if self.cache is not None:
            self.cache.drop(uris)


Planner = Callable[[AsyncSession, Planning, Payload, datetime], Awaitable[Planned]]
RunPlanner = Callable[
    [AsyncSession, Planning, Sequence[Payload], datetime], Awaitable[list[Planned]]
]
Handler = Callable[[AsyncSession, Handling, Peer, Activity, datetime], Awaitable[None]]
RunHandler = Callable[
    [AsyncSession, Handling, Sequence[tuple[Peer, Activity]], datetime], Awaitable[None]
]
