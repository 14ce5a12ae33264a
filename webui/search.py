"""The search page: words in one subnet (`in=`) or across all of mine, newest first.

A GET form, so it works without JavaScript and a search can be bookmarked or repeated. The
page asks the partner trusts through `actors/search.py`; one that does not answer in time is
named above the results.
"""

from __future__ import annotations

from aiohttp import web

from actors import search, subnets
from actors.errors import Invalid, NotFound
from webui.context import WEB
from webui.routes import page, require_person, subnet_href

MAX_QUERY = 200


async def search_page(request: web.Request) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    subnet_uri = request.query.get("in", "")
    try:
        async with ctx.db.transaction() as s:
            scope = (
                await subnets.subnet_for_member(s, ctx.ids, person, subnet_uri, ctx.trust_name)
                if subnet_uri
                else None
            )
            plan = (
                await search.plan(
                    s,
                    ctx.ids,
                    person=person,
                    query=query,
                    node_name=ctx.trust_name,
                    subnet_uri=subnet_uri or None,
                )
                if query
                else None
            )
    except NotFound:
        raise web.HTTPNotFound(
            text="There is no such subnet, or you are not a member of it."
        ) from None
    except Invalid as error:
        return page(
            request,
            "search.html",
            status=400,
            errors=[{"text": str(error), "href": "#q"}],
            query=query,
            scope=scope,
            results=None,
            href=subnet_href,
        )
    results = None
    if plan is not None:
        answers = await ctx.searcher.search(plan.asks, plan.terms)
        async with ctx.db.transaction() as s:
            results = await search.merge(s, plan, answers)
    return page(request, "search.html", query=query, scope=scope, results=results, href=subnet_href)


def register(app: web.Application) -> None:
    app.router.add_get("/search", search_page)
