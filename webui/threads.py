"""Thread actions on a subnet page: Like (and take back), edit, delete, leave.

Each route checks the CSRF token, calls one `actors/` operation, and sends the browser back to
the subnet page; refusals become the page's error summary or a plain 4xx.
"""

from __future__ import annotations

from aiohttp import web

from actors import membership, personas, threads
from actors.errors import ActorError, Invalid, NotFound, NotPermitted
from webui.context import WEB
from webui.routes import require_person, subnet_href, subnet_page
from webui.security import checked_fields


async def _fields(request: web.Request) -> tuple[str, str, dict[str, str]]:
    values = await checked_fields(request)
    return values.get("subnet", ""), values.get("object", ""), values


def _back(subnet_uri: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(subnet_href(subnet_uri) + "#posts")


async def like(request: web.Request) -> web.Response:
    person = require_person(request)
    subnet_uri, object_uri, values = await _fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            await threads.like(
                s,
                ctx.ids,
                person=person,
                object_uri=object_uri,
                now=ctx.clock(),
                undo=values.get("undo") == "1",
            )
    except (NotFound, NotPermitted):
        raise web.HTTPNotFound(text="There is no such post in a subnet you belong to.") from None
    raise _back(subnet_uri)


async def edit(request: web.Request) -> web.Response:
    person = require_person(request)
    subnet_uri, object_uri, values = await _fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            await threads.edit_post(
                s,
                ctx.ids,
                person=person,
                post_uri=object_uri,
                content=values.get("content", ""),
                now=ctx.clock(),
            )
    except NotFound:
        raise web.HTTPNotFound(text="There is no such post.") from None
    except (Invalid, NotPermitted) as error:
        return await subnet_page(
            request, subnet_uri, errors=[{"text": str(error), "href": "#posts"}]
        )
    raise _back(subnet_uri)


async def delete(request: web.Request) -> web.Response:
    person = require_person(request)
    subnet_uri, object_uri, _ = await _fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            if ctx.ids.post_id(object_uri) is not None:
                await threads.delete_post(
                    s, ctx.ids, person=person, post_uri=object_uri, now=ctx.clock()
                )
            else:
                await threads.remove_reference(
                    s, ctx.ids, person=person, object_uri=object_uri, now=ctx.clock()
                )
    except NotFound:
        raise web.HTTPNotFound(text="There is no such post.") from None
    except NotPermitted as error:
        raise web.HTTPForbidden(text=str(error)) from None
    raise _back(subnet_uri)


async def leave(request: web.Request) -> web.Response:
    person = require_person(request)
    subnet_uri, _, _ = await _fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            await membership.leave(
                s, ctx.ids, person=person, subnet_uri=subnet_uri, now=ctx.clock()
            )
    except ActorError as error:
        raise web.HTTPNotFound(text=str(error)) from None
    raise web.HTTPSeeOther("/")


async def pseudonym(request: web.Request) -> web.Response:
    """A member chooses the name this subnet shows for them (other subnets keep theirs)."""
    person = require_person(request)
    subnet_uri, _, values = await _fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            await personas.set_pseudonym(
                s,
                ctx.ids,
                person=person,
                subnet_uri=subnet_uri,
                pseudonym=values.get("pseudonym", ""),
                now=ctx.clock(),
            )
    except Invalid as error:
        return await subnet_page(
            request, subnet_uri, errors=[{"text": str(error), "href": "#pseudonym"}]
        )
    except ActorError as error:
        raise web.HTTPNotFound(text=str(error)) from None
    raise _back(subnet_uri)


def register(app: web.Application) -> None:
    app.router.add_post("/posts/like", like)
    app.router.add_post("/posts/edit", edit)
    app.router.add_post("/posts/delete", delete)
    app.router.add_post("/subnet/leave", leave)
    app.router.add_post("/subnet/pseudonym", pseudonym)
