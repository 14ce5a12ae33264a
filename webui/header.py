"""The counts in every signed-in page's header: new notices and unread private messages for
everyone; for staff, new alerts and what waits in their moderation queue — with what waits at
the homes of partner subnets they moderate as last answered, from memory, so a page never
waits on a partner (`federation/home_queues.py` says why). One read per page, in one
transaction."""

from __future__ import annotations

from aiohttp import web

from actors import alerts, messages, notices, queue
from actors.policy import STAFF
from webui.context import (
    ALERTS_UNREAD,
    MESSAGES_UNREAD,
    NOTICES_UNREAD,
    PERSON,
    QUEUE_WAITING,
    WEB,
)
from webui.security import STATIC_PREFIXES, Handler

ASKING_LIVE = ("/staff/queue", "/moderate")
"""Pages that ask partner subnets' homes live themselves (refreshing what the header counts):
their header starts no background ask of its own."""


@web.middleware
async def header_counts(request: web.Request, handler: Handler) -> web.StreamResponse:
    person = request.get(PERSON)
    if (
        person is not None
        and request.method == "GET"
        and not request.path.startswith(STATIC_PREFIXES)
    ):
        ctx = request.app[WEB]
        async with ctx.db.reading() as s:  # counts only: never waits for the writer's turn
            request[NOTICES_UNREAD] = await notices.unread_count(s, person_id=person.id)
            request[MESSAGES_UNREAD] = await messages.unread_total(s, viewer=person)
            if person.role in STAFF:
                request[ALERTS_UNREAD] = await alerts.unread_count(s, person)
                asks = await queue.home_asks(s, ctx.ids, person)
                refresh = request.path not in ASKING_LIVE
                at_home = ctx.home_queues.recent(asks, refresh=refresh) if asks else {}
                waiting = await queue.items(
                    s, ctx.ids, person=person, now=ctx.clock(), at_home=at_home
                )
                request[QUEUE_WAITING] = len(waiting)
    return await handler(request)
