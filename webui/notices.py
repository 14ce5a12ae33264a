"""The Notices page and the unread count in the header of every signed-in page.

Opening the page marks what it shows as read (those notices keep a "New" tag on that view).
Rules and wording live in `actors/notices.py`; routes only translate.
"""

from __future__ import annotations

from aiohttp import web

from actors import notices
from webui.context import NOTICES_UNREAD, WEB
from webui.routes import page, require_person


async def notices_page(request: web.Request) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        found = await notices.list_for(s, ctx.ids, person_id=person.id, node_name=ctx.trust_name)
        await notices.mark_read(s, person_id=person.id, now=ctx.clock())
    request[NOTICES_UNREAD] = 0
    return page(request, "notices.html", notices=found)


def register(app: web.Application) -> None:
    app.router.add_get("/notices", notices_page)
