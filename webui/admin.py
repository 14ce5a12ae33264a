"""The trust admin's pages: peers, subnets shared with partners, share invitations, and each
local subnet's policy. Only admins see them; every change goes through `actors/`."""

from __future__ import annotations

from aiohttp import web

from actors import alerts, retention, sharing
from actors.errors import Invalid, NotFound
from actors.policy import Action, may
from actors.records import Person
from actors.subnets import all_local_subnets
from webui.confirm import confirm_page
from webui.context import WEB
from webui.flash import done
from webui.forms import ErrorSummary
from webui.routes import page, require_person
from webui.security import checked_fields


def _require_admin(request: web.Request) -> Person:
    person = require_person(request)
    if not may(person.role, Action.MANAGE_PEERS):
        raise web.HTTPForbidden(text="Only the trust's admins can manage sharing.")
    return person


async def overview(request: web.Request, errors: ErrorSummary | None = None) -> web.Response:
    person = _require_admin(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        peers = await sharing.peers(s)
        agreements = await sharing.agreements(s, ctx.ids)
        offers = await sharing.offers_to_answer(s)
        subnets = await all_local_subnets(s)
        pages = await alerts.paging_record(s, viewer=person)
        taking_part = await sharing.taking_part(s, ctx.ids, ctx.trust_name)
    return page(
        request,
        "admin.html",
        status=400 if errors else 200,
        errors=errors or [],
        peers=peers,
        agreements=agreements,
        offers=offers,
        subnets=subnets,
        pages=pages,
        taking_part=taking_part,
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
    accepted = values.get("accept") == "1"
    raise done(request, "/admin", "offer-accepted" if accepted else "offer-declined")


async def decline_form(request: web.Request) -> web.Response:
    """Asks before a partner trust's share invitation is declined, naming the subnet and host."""
    _require_admin(request)
    ctx = request.app[WEB]
    subnet_uri = request.query.get("subnet", "")
    async with ctx.db.transaction() as s:
        offers = await sharing.offers_to_answer(s)
    found = [item for item in offers if item.offer.subnet_uri == subnet_uri]
    if not found:
        raise web.HTTPNotFound(text="There is no share invitation waiting for that subnet.")
    offer, peer = found[0].offer, found[0].peer
    return confirm_page(
        request,
        heading=f"Decline {offer.name}, hosted by {peer.name}?",
        explanation=f"This trust's people will not be able to join it, and {peer.name} is "
        "told. Their admin can offer it again later.",
        action="/admin/invitations",
        fields={"subnet": subnet_uri, "accept": "0"},
        confirm="Decline invitation",
        back="/admin#invitations",
    )


async def share(request: web.Request) -> web.Response:
    person = _require_admin(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    who = ctx.ids.person(person.id)
    try:
        async with ctx.db.transaction() as s:
            peer = await sharing.peer_by_url(s, values.get("peer", ""))
            if values.get("unshare") == "1":
                await sharing.unshare_subnet(
                    s, ctx.ids, slug=values.get("slug", ""), peer=peer, now=ctx.clock(), who=who
                )
            else:
                await sharing.share_subnet(
                    s, slug=values.get("slug", ""), peer=peer, now=ctx.clock(), who=who
                )
    except NotFound as error:
        return await overview(request, [{"text": str(error), "href": "#shared"}])
    raise done(
        request, "/admin", "sharing-stopped" if values.get("unshare") == "1" else "sharing-offered"
    )


async def stop_sharing_form(request: web.Request) -> web.Response:
    """Asks before a subnet stops being shared with a partner trust, naming both."""
    _require_admin(request)
    ctx = request.app[WEB]
    slug, peer_url = request.query.get("slug", ""), request.query.get("peer", "")
    async with ctx.db.transaction() as s:
        agreements = await sharing.agreements(s, ctx.ids)
    found = [
        item
        for item in agreements
        if item.subnet_uri == ctx.ids.subnet(slug) and item.peer_url == peer_url
    ]
    if not found:
        raise web.HTTPNotFound(text="That subnet is not shared with that trust.")
    item = found[0]
    return confirm_page(
        request,
        heading=f"Stop sharing {item.subnet_name} with {item.peer_name}?",
        explanation=f"{item.peer_name} will drop everything of this subnet at once, and its "
        "people will no longer see it. Their own posts stay at their trust. You can offer to "
        "share it again later.",
        action="/admin/sharing",
        fields={"slug": slug, "peer": peer_url, "unshare": "1"},
        confirm="Stop sharing",
        back="/admin#shared",
    )


async def policy(request: web.Request) -> web.Response:
    person = _require_admin(request)
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
        numbers=values.get("numbers"),
        audience=values.get("audience") or None,
        hold_concern=_changed(values.get("hold_concern") == "on", values.get("hold_concern_was")),
        peer_messages=values.get("peer_messages") == "on",
        kind=values.get("kind") or None,
    )
    try:
        async with ctx.db.transaction() as s:
            await retention.set_policy(
                s,
                ctx.ids,
                slug=values.get("slug", ""),
                change=change,
                now=ctx.clock(),
                who=ctx.ids.person(person.id),
            )
    except (Invalid, NotFound) as error:
        field = getattr(error, "field", None)
        href = f"#{field}-{values.get('slug', '')}" if field == "kind" else "#subnets"
        return await overview(request, [{"text": str(error), "href": href}])
    raise done(request, "/admin", "policy-saved")


def _changed(ticked: bool, was: str | None) -> bool | None:
    """A tick box's value only if the admin changed it (so a new audience brings its default)."""
    return None if was in ("on", "off") and ticked == (was == "on") else ticked


def register(app: web.Application) -> None:
    app.router.add_get("/admin", overview)
    app.router.add_post("/admin/invitations", answer)
    app.router.add_get("/admin/invitations/decline", decline_form)
    app.router.add_get("/admin/sharing/stop", stop_sharing_form)
    app.router.add_post("/admin/sharing", share)
    app.router.add_post("/admin/policy", policy)
