"""The admin's page for a subnet hosted by a partner trust that this trust takes part in: its
policy, this trust's people in it, and adding more of them.

The admin is usually not a member there herself, so the clinicians' members page does not
show it to her; this page lists only this trust's people (`actors.membership.members` gives a
node just its own people in a subnet hosted elsewhere). Adding is
`actors.membership.add_person`, the clinicians' operation: a Join goes to the subnet's home,
whose policy decides.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from actors import membership, sharing
from actors.errors import Conflict, Invalid, NotFound, NotPermitted
from webui.admin_subnets import require_subnet_admin
from webui.confirm import confirm_page
from webui.context import WEB
from webui.flash import done
from webui.forms import ErrorSummary, error
from webui.routes import page
from webui.security import checked_fields


def taking_part_href(subnet_uri: str) -> str:
    return f"/admin/taking-part?id={quote(subnet_uri, safe='')}"


async def taking_part_page(
    request: web.Request, subnet_uri: str, errors: ErrorSummary | None = None, username: str = ""
) -> web.Response:
    admin = require_subnet_admin(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            subnet = await sharing.taken_part_in(s, ctx.ids, subnet_uri, ctx.trust_name)
            members = await membership.members(
                s, ctx.ids, viewer=admin, subnet_uri=subnet_uri, node_name=ctx.trust_name
            )
    except (NotFound, NotPermitted):
        raise web.HTTPNotFound(text="This trust does not take part in that subnet.") from None
    return page(
        request,
        "admin_taking_part.html",
        status=400 if errors else 200,
        errors=errors or [],
        subnet=subnet,
        members=[m for m in members if m.local],
        username=username,
        here=taking_part_href(subnet_uri),
    )


async def show(request: web.Request) -> web.Response:
    return await taking_part_page(request, request.query.get("id", ""))


async def add_member(request: web.Request) -> web.Response:
    admin = require_subnet_admin(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    subnet_uri, username = values.get("subnet", ""), values.get("username", "")
    try:
        async with ctx.db.transaction() as s:
            await sharing.taken_part_in(s, ctx.ids, subnet_uri, ctx.trust_name)
            await membership.add_person(
                s,
                ctx.ids,
                clinician=admin,
                subnet_uri=subnet_uri,
                username=username,
                now=ctx.clock(),
            )
    except NotFound:
        raise web.HTTPNotFound(text="This trust does not take part in that subnet.") from None
    except (Invalid, Conflict, NotPermitted) as problem:
        return await taking_part_page(
            request, subnet_uri, [error(str(problem), "username")], username
        )
    raise done(request, taking_part_href(subnet_uri), "member-added")


async def stop_form(request: web.Request) -> web.Response:
    """Asks before this trust stops taking part in a partner's subnet, naming what goes."""
    require_subnet_admin(request)
    ctx = request.app[WEB]
    subnet_uri = request.query.get("id", "")
    try:
        async with ctx.db.transaction() as s:
            subnet = await sharing.taken_part_in(s, ctx.ids, subnet_uri, ctx.trust_name)
    except NotFound:
        raise web.HTTPNotFound(text="This trust does not take part in that subnet.") from None
    return confirm_page(
        request,
        heading=f"Stop taking part in {subnet.name}?",
        explanation=f"This trust's people leave it at once and {subnet.host_name} is told. Their "
        "posts stay on this node but nobody else can read them. It can be shared again only if "
        f"{subnet.host_name} offers it again.",
        action="/admin/taking-part/stop",
        fields={"subnet": subnet_uri},
        confirm="Stop taking part",
        back=taking_part_href(subnet_uri),
    )


async def stop(request: web.Request) -> web.Response:
    admin = require_subnet_admin(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            await sharing.stop_taking_part(
                s,
                ctx.ids,
                subnet_uri=values.get("subnet", ""),
                who=ctx.ids.person(admin.id),
                now=ctx.clock(),
            )
    except NotFound:
        raise web.HTTPNotFound(text="This trust does not take part in that subnet.") from None
    raise done(request, "/admin#taking-part", "stopped-taking-part")


def register(app: web.Application) -> None:
    app.router.add_get("/admin/taking-part/stop", stop_form)
    app.router.add_post("/admin/taking-part/stop", stop)
    app.router.add_get("/admin/taking-part", show)
    app.router.add_post("/admin/taking-part/members", add_member)
