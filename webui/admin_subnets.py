"""The admin's page for creating a subnet hosted here, with its policy from the start.

Creation and policy are `actors.subnets.create_subnet` and `actors.retention.set_policy`, the
same operations as `sharon subnet create` and `sharon subnet policy`, in one transaction.
"""

from __future__ import annotations

from aiohttp import web

from actors import retention, subnets
from actors.policy import Action, may
from actors.records import Person
from webui.context import WEB
from webui.flash import done
from webui.forms import ErrorSummary, error
from webui.routes import page, require_person
from webui.security import checked_fields

BLANK = {
    "posting": "all",
    "audience": "adults",
    "numbers": "shown",
    "retention_days": "0",
    "kind": "support",
}


def require_subnet_admin(request: web.Request) -> Person:
    person = require_person(request)
    if not may(person.role, Action.MANAGE_SUBNETS):
        raise web.HTTPForbidden(text="Only the trust's admins can create subnets.")
    return person


async def new_subnet_form(
    request: web.Request, values: dict[str, str] | None = None, errors: ErrorSummary | None = None
) -> web.Response:
    require_subnet_admin(request)
    return page(
        request,
        "admin_subnet_new.html",
        status=400 if errors else 200,
        errors=errors or [],
        values=values or BLANK,
    )


def _change(values: dict[str, str]) -> retention.PolicyChange:
    try:
        days = int(values.get("retention_days") or 0)
    except ValueError:
        days = -1
    return retention.PolicyChange(
        posting=values.get("posting"),
        premoderation=values.get("premoderation") == "on",
        join_approval=values.get("join_approval") == "on",
        retention_days=days,
        numbers=values.get("numbers"),
        audience=values.get("audience"),
        hold_concern=values.get("hold_concern") == "on",
        kind=values.get("kind") or "support",
    )


async def create_subnet(request: web.Request) -> web.Response:
    person = require_subnet_admin(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    slug, name = values.get("slug", "").strip(), values.get("name", "")
    change = _change(values)
    async with ctx.db.transaction() as s:
        problems = await subnets.new_subnet_problems(s, slug=slug, name=name)
        problems += retention.problems(change)
        errors = [error(str(p), p.field or "name") for p in problems]
        if not errors:
            who = ctx.ids.person(person.id)
            now = ctx.clock()
            await subnets.create_subnet(s, slug=slug, name=name, now=now, who=who)
            await retention.set_policy(s, ctx.ids, slug=slug, change=change, now=now, who=who)
    if errors:
        return await new_subnet_form(request, values, errors)
    raise done(request, "/admin#subnets", "subnet-created")


def register(app: web.Application) -> None:
    app.router.add_get("/admin/subnets/new", new_subnet_form)
    app.router.add_post("/admin/subnets", create_subnet)
