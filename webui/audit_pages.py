"""Staff pages over the audit log: admins export a date range as CSV; staff see how long
held posts, reports and alerts waited for a first moderator action."""

from __future__ import annotations

from aiohttp import web

from actors import audit_trail, response_times
from actors.errors import Invalid
from webui.admin import overview
from webui.context import WEB
from webui.forms import error
from webui.routes import page, require_person
from webui.security import checked_fields


async def export(request: web.Request) -> web.Response:
    """POST (with the CSRF token) so that no other site can make an admin's browser export."""
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    start, end = values.get("from", ""), values.get("to", "")
    try:
        async with ctx.db.transaction() as s:
            body = await audit_trail.export(
                s, ctx.ids, viewer=person, start=start, end=end, now=ctx.clock()
            )
    except Invalid as problem:
        field = "audit-" + (problem.field or "from")
        return await overview(request, [error(str(problem), field)])
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{start.strip()}-{end.strip()}.csv"'
        },
    )


async def times(request: web.Request) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        rows = await response_times.for_node(s, ctx.ids, viewer=person)
    return page(request, "response_times.html", rows=rows)


def register(app: web.Application) -> None:
    app.router.add_post("/admin/audit", export)
    app.router.add_get("/moderation/times", times)
