"""The welcome page a person lands on after joining: what subnets and pseudonyms are, and the
house rules of the subnets they joined."""

from __future__ import annotations

from aiohttp import web

from actors import house_rules, subnets
from webui.context import WEB
from webui.routes import page, require_person, subnet_href


async def welcome(request: web.Request) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        mine = await subnets.subnets_of(s, ctx.ids, person, ctx.trust_name)
        rules = [
            await house_rules.rules_for(s, ctx.ids, person=person, subnet_uri=item.uri)
            for item in mine
        ]
    return page(request, "welcome.html", rules=rules, href=subnet_href)


def register(app: web.Application) -> None:
    app.router.add_get("/welcome", welcome)
