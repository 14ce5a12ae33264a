"""Clinicians' pages for a subnet: its members, adding and removing people, approving joins,
and posts held for pre-moderation. Rules (who may) live in `actors/membership.py` and
`actors/moderation.py`; these routes only translate."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from actors import membership, moderation, personas, subnets
from actors.errors import ActorError, Conflict, Invalid, NotFound, NotPermitted
from webui.context import WEB
from webui.routes import page, require_person
from webui.security import checked_fields


def moderate_href(subnet_uri: str) -> str:
    return f"/moderate?id={quote(subnet_uri, safe='')}"


async def members_page(
    request: web.Request, subnet_uri: str, errors: list | None = None
) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            summary = await subnets.subnet_for_member(
                s, ctx.ids, person, subnet_uri, ctx.trust_name
            )
            members = await membership.members(
                s, ctx.ids, viewer=person, subnet_uri=subnet_uri, node_name=ctx.trust_name
            )
            held, refs = ([], [])
            reader = await personas.find_member_uri(s, ctx.ids, person.id, subnet_uri) or ""
            if summary.local:
                held, refs = await moderation.held(
                    s, ctx.ids, moderator=person, subnet_uri=subnet_uri
                )
    except (NotFound, NotPermitted):
        raise web.HTTPNotFound(
            text="There is no such subnet, or you do not manage its members."
        ) from None
    resolved = await ctx.resolver.resolve(refs, reader) if refs else {}
    remote_held = [(ref.object_uri, resolved.get(ref.object_uri)) for ref in refs]
    return page(
        request,
        "moderate.html",
        status=400 if errors else 200,
        errors=errors or [],
        subnet=summary,
        subnet_uri=subnet_uri,
        members=members,
        held=held,
        remote_held=remote_held,
    )


async def show(request: web.Request) -> web.Response:
    return await members_page(request, request.query.get("id", ""))


async def change(request: web.Request) -> web.Response:
    """One form for every member action: add, remove, approve or refuse a join, decide a post."""
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    subnet_uri, action = values.get("subnet", ""), values.get("action", "")
    target = values.get("member", "")
    try:
        async with ctx.db.transaction() as s:
            now = ctx.clock()
            if action == "add":
                await membership.add_person(
                    s,
                    ctx.ids,
                    clinician=person,
                    subnet_uri=subnet_uri,
                    username=values.get("username", ""),
                    now=now,
                )
            elif action == "remove":
                await membership.remove_own_person(
                    s, ctx.ids, clinician=person, subnet_uri=subnet_uri, member_uri=target, now=now
                )
            elif action in ("approve", "refuse"):
                await membership.answer_join(
                    s,
                    ctx.ids,
                    moderator=person,
                    subnet_uri=subnet_uri,
                    member_uri=target,
                    approve=action == "approve",
                    now=now,
                )
            elif action == "grant":
                await membership.grant_moderator(
                    s, ctx.ids, moderator=person, subnet_uri=subnet_uri, member_uri=target, now=now
                )
            elif action in ("release", "reject"):
                await moderation.decide(
                    s,
                    ctx.ids,
                    moderator=person,
                    subnet_uri=subnet_uri,
                    object_uri=values.get("object", ""),
                    approve=action == "release",
                    now=now,
                )
            else:
                raise Invalid("Choose what to do.")
    except (Invalid, Conflict) as error:
        return await members_page(request, subnet_uri, [{"text": str(error), "href": "#username"}])
    except NotPermitted as error:
        raise web.HTTPForbidden(text=str(error)) from None
    except ActorError as error:
        raise web.HTTPNotFound(text=str(error)) from None
    raise web.HTTPSeeOther(moderate_href(subnet_uri))


def register(app: web.Application) -> None:
    app.router.add_get("/moderate", show)
    app.router.add_post("/moderate", change)
