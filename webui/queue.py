"""The moderation queue (`/staff/queue`): everything waiting for this moderator, oldest first.
Built by `actors/queue.py`; what waits at the homes of partner subnets they moderate is asked
live for this page, and that answer also refreshes the count in the header of their other
staff pages (`webui/header.py`), which never asks a partner itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from actors import queue, reports
from actors.policy import Action
from webui.context import QUEUE_WAITING, WEB
from webui.routes import page
from webui.security import checked_fields
from webui.staff import require_staff

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATIC_PREFIXES = ("/nhsuk/", "/static/")


async def show(request: web.Request) -> web.Response:
    person = require_staff(request, Action.READ_MODERATION_QUEUE)
    ctx = request.app[WEB]
    now = ctx.clock()
    async with ctx.db.transaction() as s:
        asks = await queue.home_asks(s, ctx.ids, person)
    at_home = await ctx.home_queues.waiting(asks) if asks else {}
    async with ctx.db.transaction() as s:
        found = await queue.items(s, ctx.ids, person=person, now=now, at_home=at_home)
    unanswered = len({ask.subnet_uri for ask in asks} - set(at_home))
    request[QUEUE_WAITING] = len(found)  # this page's own header: the live count
    return page(request, "queue.html", items=found, now=now, unanswered=unanswered)


async def release_hold(request: web.Request) -> web.Response:
    person = require_staff(request, Action.READ_MODERATION_QUEUE)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        await reports.release_hold(
            s, ctx.ids, staff=person, sanction_id=values.get("hold", ""), now=ctx.clock()
        )
    raise web.HTTPSeeOther("/staff/queue")


def register(app: web.Application) -> None:
    app.router.add_get("/staff/queue", show)
    app.router.add_post("/staff/queue/holds", release_hold)
