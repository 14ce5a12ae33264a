"""The trust admin's pages: peers, subnets shared with partners, share invitations, and each
local subnet's policy. Only admins see them; every change goes through `actors/`."""

from __future__ import annotations

from aiohttp import web

from actors import retention, sharing
from actors.errors import ActorError, Invalid, NotFound
from actors.policy import Action, may
from actors.subnets import all_local_subnets
from storage.models import Person
from webui.context import WEB
from webui.routes import page, require_person
from webui.security import checked_fields


def _require_admin(request: web.Request) -> Person:
    person = require_person(request)
    if not may(person.role, Action.MANAGE_PEERS):
        raise web.HTTPForbidden(text="Only the trust's admins can manage sharing.")
    return person


async def overview(request: web.Request, errors: list | None = None) -> web.Response:
    _require_admin(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        peers = await sharing.peers(s)
        agreements = await sharing.agreements(s, ctx.ids)
        offers = await sharing.pending_offers(s)
        subnets = await all_local_subnets(s)
    return page(
        request,
        "admin.html",
        status=400 if errors else 200,
        errors=errors or [],
        peers=peers,
        agreements=agreements,
        offers=offers,
        subnets=subnets,
    )


async def answer(request: web.Request) -> web.Response:
    person = _require_admin(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            await sharing.answer_offer(
                s,
                subnet_uri=values.get("subnet", ""),
                accept=values.get("accept") == "1",
                who=ctx.ids.person(person.id),
                now=ctx.clock(),
            )
    except NotFound as error:
        return await overview(request, [{"text": str(error), "href": "#invitations"}])
    raise web.HTTPSeeOther("/admin")


async def share(request: web.Request) -> web.Response:
    _require_admin(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            peer = await sharing.peer_by_url(s, values.get("peer", ""))
            if values.get("unshare") == "1":
                await sharing.unshare_subnet(
                    s, ctx.ids, slug=values.get("slug", ""), peer=peer, now=ctx.clock()
                )
            else:
                await sharing.share_subnet(
                    s, slug=values.get("slug", ""), peer=peer, now=ctx.clock()
                )
    except ActorError as error:
        return await overview(request, [{"text": str(error), "href": "#shared"}])
    raise web.HTTPSeeOther("/admin")


async def policy(request: web.Request) -> web.Response:
    _require_admin(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    try:
        days = int(values.get("retention_days") or 0)
    except ValueError:
        days = -1
    change = retention.PolicyChange(
        posting=values.get("posting"),
        premoderation=values.get("premoderation") == "on",
        join_approval=values.get("join_approval") == "on",
        retention_days=days,
    )
    try:
        async with ctx.db.transaction() as s:
            await retention.set_policy(
                s, slug=values.get("slug", ""), change=change, now=ctx.clock()
            )
    except (Invalid, NotFound) as error:
        return await overview(request, [{"text": str(error), "href": "#subnets"}])
    raise web.HTTPSeeOther("/admin")


def register(app: web.Application) -> None:
    app.router.add_get("/admin", overview)
    app.router.add_post("/admin/invitations", answer)
    app.router.add_post("/admin/sharing", share)
    app.router.add_post("/admin/policy", policy)
