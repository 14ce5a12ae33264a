"""Reporting a post: every member, on every node. The rules live in `actors/reports.py`."""

from __future__ import annotations

from aiohttp import web

from actors import reports
from actors.errors import Conflict, Invalid, NotFound
from webui.context import WEB
from webui.forms import ErrorSummary
from webui.routes import page, require_person, subnet_href
from webui.security import checked_fields


def _form(
    request: web.Request,
    subnet_uri: str,
    object_uri: str,
    *,
    reason: str = "",
    note: str = "",
    errors: ErrorSummary | None = None,
) -> web.Response:
    return page(
        request,
        "report.html",
        status=400 if errors else 200,
        errors=errors or [],
        reasons=reports.REASONS,
        reason=reason,
        note=note,
        subnet_uri=subnet_uri,
        object_uri=object_uri,
        back=subnet_href(subnet_uri) + "#posts",
    )


async def report_form(request: web.Request) -> web.Response:
    require_person(request)
    return _form(request, request.query.get("subnet", ""), request.query.get("object", ""))


async def report(request: web.Request) -> web.Response:
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    subnet_uri, object_uri = values.get("subnet", ""), values.get("object", "")
    reason, note = values.get("reason", ""), values.get("note", "")
    try:
        async with ctx.db.transaction() as s:
            await reports.report(
                s,
                ctx.ids,
                person=person,
                object_uri=object_uri,
                reason=reason,
                note=note,
                now=ctx.clock(),
                thresholds=ctx.report_thresholds,
            )
    except NotFound:
        raise web.HTTPNotFound(text="There is no such post in a subnet you belong to.") from None
    except (Invalid, Conflict) as error:
        href = "#note" if reason == "other" else "#reason"
        return _form(
            request,
            subnet_uri,
            object_uri,
            reason=reason,
            note=note,
            errors=[{"text": str(error), "href": href}],
        )
    return page(request, "report_sent.html", back=subnet_href(subnet_uri) + "#posts")


def register(app: web.Application) -> None:
    app.router.add_get("/posts/report", report_form)
    app.router.add_post("/posts/report", report)
