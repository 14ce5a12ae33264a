"""One table from event kind to planner and one from activity to handler, read by the engines.

Each family module (posts, threads, membership, sharing, actors, moderation) declares its
`PLANNERS` and `HANDLERS`; here they are merged, and a kind or activity type claimed twice is
an error at import, never a silent replacement. An Update or Delete about an actor document is
keyed apart from one about a post ("Update actor", "Delete actor"), so each has exactly one
handler. A family may also take consecutive activities of one type together
(`RUN_HANDLERS`: the posts family's Creates), as well as one by one, and plan consecutive events
of one kind together (`RUN_PLANNERS`: the posts family's accepted references).
tests/federation/test_activity_families.py proves every `EventKind` has a planner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import groupby
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from actors.events import EventKind
from federation.activities import actors, membership, moderation, posts, sharing, threads
from federation.activities.context import (
    Activity,
    Handler,
    Handling,
    Payload,
    Planned,
    Planner,
    Planning,
    RunHandler,
    RunPlanner,
)
from storage.models import Peer

FAMILIES = (posts, threads, membership, sharing, actors, moderation)
K = TypeVar("K")
V = TypeVar("V")


def _merge(tables: list[Mapping[K, V]]) -> dict[K, V]:
    merged: dict[K, V] = {}
    for table in tables:
        for key, value in table.items():
            if key in merged:
                raise ValueError(f"{key} is claimed by two families")
            merged[key] = value
    return merged


PLANNERS: dict[EventKind, Planner] = _merge([family.PLANNERS for family in FAMILIES])
HANDLERS: dict[str, Handler] = _merge([family.HANDLERS for family in FAMILIES])
RUN_HANDLERS: dict[str, RunHandler] = posts.RUN_HANDLERS
RUN_PLANNERS: dict[EventKind, RunPlanner] = posts.RUN_PLANNERS


def handler_key(doc: Activity) -> str:
    """The `HANDLERS` key of a normalised activity: its type, told apart for actor documents."""
    kind = str(doc.get("type"))
    if kind in ("Update", "Delete") and actors.about_actor(doc):
        return f"{kind} actor"
    return kind


async def plan(
    s: AsyncSession, ctx: Planning, kind: str, payload: Payload, now: datetime
) -> Planned:
    """The (peer, activity, signer) triples an event calls for; an unknown kind raises
    (ValueError), so the engine records it as a failed attempt rather than dropping it."""
    return await PLANNERS[EventKind(kind)](s, ctx, payload, now)


async def plan_all(
    s: AsyncSession, ctx: Planning, events: Sequence[tuple[str, Payload]], now: datetime
) -> list[Planned]:
    """What each (kind, payload) event calls for, in order. Consecutive events whose family
    also plans them as a run (`RUN_PLANNERS`) go to it together, so a batch costs a few
    statements per run instead of several per event."""
    planned: list[Planned] = []
    for kind, group in groupby(events, key=lambda event: event[0]):
        payloads = [payload for _, payload in group]
        run_planner = RUN_PLANNERS.get(EventKind(kind))
        if run_planner is not None and len(payloads) > 1:
            planned += await run_planner(s, ctx, payloads, now)
        else:
            planned += [await plan(s, ctx, kind, payload, now) for payload in payloads]
    return planned


async def handle(s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime) -> None:
    """Hand a verified activity to its handler; an activity no family handles is ignored."""
    handler = HANDLERS.get(handler_key(doc))
    if handler is not None:
        await handler(s, ctx, peer, doc, now)


async def handle_all(
    s: AsyncSession, ctx: Handling, activities: Sequence[tuple[Peer, Activity]], now: datetime
) -> None:
    """Hand verified activities to their handlers, in order. Consecutive activities whose
    family also takes them as a run (`RUN_HANDLERS`, e.g. a burst of Creates) go to it
    together, so a batch costs a few statements per run instead of several per activity."""
    for key, group in groupby(activities, key=lambda pair: handler_key(pair[1])):
        run = list(group)
        if key in RUN_HANDLERS and len(run) > 1:
            await RUN_HANDLERS[key](s, ctx, run, now)
        else:
            for peer, doc in run:
                await handle(s, ctx, peer, doc, now)
