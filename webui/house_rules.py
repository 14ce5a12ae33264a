"""House rules pages: a subnet's rules for its members, and the form its staff edit them with.

Rules (who may edit, what text is allowed) live in `actors/house_rules.py`.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from actors import house_rules
from actors.errors import Invalid, NotFound
from webui.context import WEB
from webui.forms import ErrorSummary
from webui.routes import page, require_person, subnet_href
from webui.security import checked_fields

NO_SUBNET = "There is no such subnet, or you are not a member of it."


def rules_href(subnet_uri: str) -> str:
    return f"/subnet/rules?id={quote(subnet_uri, safe='')}"


async def show(request: web.Request) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    uri = request.query.get("id", "")
    try:
        async with ctx.db.transaction() as s:
            rules = await house_rules.rules_for(s, ctx.ids, person=person, subnet_uri=uri)
            editable = await house_rules.may_edit(s, ctx.ids, person, uri)
    except NotFound:
        raise web.HTTPNotFound(text=NO_SUBNET) from None
    return page(
        request,
        "house_rules.html",
        rules=rules,
        editable=editable,
        back=subnet_href(uri),
        edit_href=f"/subnet/rules/edit?id={quote(uri, safe='')}",
        saved=request.query.get("saved") == "1",
    )


async def _editor(
    request: web.Request, uri: str, draft: str | None, errors: ErrorSummary | None = None
) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            rules = await house_rules.rules_for(s, ctx.ids, person=person, subnet_uri=uri)
            editable = await house_rules.may_edit(s, ctx.ids, person, uri)
    except NotFound:
        raise web.HTTPNotFound(text=NO_SUBNET) from None
    if not editable:
        raise web.HTTPForbidden(text="Only staff of this subnet's home trust can change its rules.")
    return page(
        request,
        "house_rules_edit.html",
        status=400 if errors else 200,
        rules=rules,
        draft=(rules.text or "") if draft is None else draft,
        errors=errors or [],
        back=rules_href(uri),
    )


async def edit_form(request: web.Request) -> web.Response:
    return await _editor(request, request.query.get("id", ""), None)


async def edit(request: web.Request) -> web.Response:
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    uri, text = values.get("subnet", ""), values.get("rules", "")
    try:
        async with ctx.db.transaction() as s:
            await house_rules.set_rules(
                s, ctx.ids, person=person, subnet_uri=uri, text=text, now=ctx.clock()
            )
    except NotFound:
        raise web.HTTPNotFound(text=NO_SUBNET) from None
    except Invalid as error:
        return await _editor(request, uri, text, [{"text": str(error), "href": "#rules"}])
    raise web.HTTPSeeOther(rules_href(uri) + "&saved=1")


def register(app: web.Application) -> None:
    app.router.add_get("/subnet/rules", show)
    app.router.add_get("/subnet/rules/edit", edit_form)
    app.router.add_post("/subnet/rules/edit", edit)
