"""The admin's pages for agreeing peers and ending an agreement.

Adding takes two steps: the admin gives a node's address and sees its trust name and the
fingerprint of its instance key, to compare with what the other trust's admin reads out; only
then does she agree, and the key is pinned only if it is still that one (`actors.peering`).
Removing a peer asks first, then drops everything of it (`actors.sharing.remove_peer`, as
`sharon peer remove`).
"""

from __future__ import annotations

from aiohttp import web

from actors import sharing
from actors.errors import Invalid, NotFound
from actors.policy import Action, may
from actors.records import Person
from webui.confirm import confirm_page
from webui.context import WEB
from webui.flash import done
from webui.forms import ErrorSummary, error
from webui.routes import page, require_person
from webui.security import checked_fields


def _require_admin(request: web.Request) -> Person:
    person = require_person(request)
    if not may(person.role, Action.MANAGE_PEERS):
        raise web.HTTPForbidden(text="Only the trust's admins can manage peers.")
    return person


async def new_peer_form(
    request: web.Request, url: str = "", errors: ErrorSummary | None = None
) -> web.Response:
    _require_admin(request)
    return page(
        request,
        "admin_peer_new.html",
        status=400 if errors else 200,
        errors=errors or [],
        url=url,
        candidate=None,
    )


async def look_up(request: web.Request) -> web.Response:
    """Shows the node's name and key fingerprint; agreeing is a second, separate form."""
    _require_admin(request)
    values = await checked_fields(request)
    url = values.get("url", "").strip()
    if not url:
        return await new_peer_form(request, url, [error("Enter the node's address", "peer-url")])
    try:
        candidate = await request.app[WEB].peering.look_up(url)
    except Invalid as problem:
        return await new_peer_form(request, url, [error(str(problem), "peer-url")])
    return page(request, "admin_peer_new.html", errors=[], url=url, candidate=candidate)


async def agree(request: web.Request) -> web.Response:
    person = _require_admin(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    url = values.get("url", "")
    try:
        await ctx.peering.agree(
            url, fingerprint=values.get("fingerprint", ""), who=ctx.ids.person(person.id)
        )
    except Invalid as problem:
        return await new_peer_form(request, url, [error(str(problem), "peer-url")])
    raise done(request, "/admin#peers", "peer-added")


async def remove_form(request: web.Request) -> web.Response:
    _require_admin(request)
    url = request.query.get("url", "")
    async with request.app[WEB].db.transaction() as s:
        try:
            peer = await sharing.peer_by_url(s, url)
        except NotFound:
            raise web.HTTPNotFound(text="That node is not an agreed peer.") from None
    return confirm_page(
        request,
        heading=f"Stop federating with {peer.name}?",
        explanation=f"Everything of {peer.name} held here is dropped at once: its subnets leave "
        "your people's lists and its people leave your subnets. Their posts stay at their trust. "
        "You can agree to peer again later.",
        action="/admin/peers/remove",
        fields={"url": peer.url},
        confirm="Remove peer",
        back="/admin#peers",
    )


async def remove(request: web.Request) -> web.Response:
    person = _require_admin(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            peer = await sharing.peer_by_url(s, values.get("url", ""))
            await sharing.remove_peer(
                s, ctx.ids, peer=peer, now=ctx.clock(), who=ctx.ids.person(person.id)
            )
    except NotFound:
        raise web.HTTPNotFound(text="That node is not an agreed peer.") from None
    ctx.peering.changed()
    raise done(request, "/admin#peers", "peer-removed")


def register(app: web.Application) -> None:
    app.router.add_get("/admin/peers/new", new_peer_form)
    app.router.add_post("/admin/peers/look-up", look_up)
    app.router.add_post("/admin/peers", agree)
    app.router.add_get("/admin/peers/remove", remove_form)
    app.router.add_post("/admin/peers/remove", remove)
