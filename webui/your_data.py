"""A person's data-protection rights over their own account: seeing and downloading everything
held about them (UK GDPR Articles 15 and 20), and erasing it (Article 17).

Routes translate HTTP to `actors/` calls; every rule lives in `actors/`.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from actors import gdpr
from actors.errors import Invalid, NotPermitted
from actors.policy import Action, may
from webui.context import PERSON, WEB
from webui.forms import error
from webui.routes import page, require_person
from webui.security import SESSION_COOKIE, checked_form


async def _export(request: web.Request) -> dict[str, Any]:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        return await gdpr.export(
            s, ctx.ids, person=person, node_name=ctx.trust_name, now=ctx.clock()
        )


async def data_json(request: web.Request) -> web.Response:
    data = await _export(request)
    return web.json_response(
        data,
        dumps=lambda value: json.dumps(value, indent=2, ensure_ascii=False),
        headers={
            "Content-Disposition": 'attachment; filename="sharon-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


async def data_html(request: web.Request) -> web.Response:
    response = page(request, "my_data.html", data=await _export(request))
    response.headers["Cache-Control"] = "no-store"
    return response


async def erase_form(request: web.Request, status: int = 200, **values: Any) -> web.Response:
    person = require_person(request)
    if not may(person.role, Action.ERASE_OWN_ACCOUNT):
        raise web.HTTPForbidden(text="Staff accounts are closed by the trust's admin.")
    return page(request, "erase.html", status=status, **values)


async def erase(request: web.Request) -> web.Response:
    person = require_person(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    errors = []
    if form.get("confirm") != "yes":
        errors.append(error("Tick the box to confirm you want your account erased", "confirm"))
    if not form.get("password"):
        errors.append(error("Enter your password", "password"))
    if not errors:
        try:
            async with ctx.db.transaction() as s:
                await gdpr.erase(
                    s,
                    ctx.ids,
                    ctx.hasher,
                    person=person,
                    password=str(form.get("password")),
                    now=ctx.clock(),
                )
        except Invalid as problem:
            errors.append(error(str(problem), problem.field or "password"))
        except NotPermitted as problem:
            raise web.HTTPForbidden(text=str(problem)) from None
    if errors:
        return await erase_form(request, status=400, errors=errors)
    request[PERSON] = None
    response = page(request, "erased.html")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def register(app: web.Application) -> None:
    app.router.add_get("/account/data.json", data_json)
    app.router.add_get("/account/data", data_html)
    app.router.add_get("/account/erase", erase_form)
    app.router.add_post("/account/erase", erase)
