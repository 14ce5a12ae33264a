"""First Step pages: an admin marks a subnet First Step and writes What happens next; a
clinician assigns a person in their care to one. Rules live in `actors/first_step.py`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors import first_step, people, subnets
from actors.errors import Invalid
from actors.policy import Action
from webui.context import WEB
from webui.flash import done
from webui.forms import every_error
from webui.library import library_href
from webui.routes import page
from webui.security import checked_fields
from webui.staff import require_staff


async def _settings_page(
    request: web.Request, slug: str, status: int = 200, **values: Any
) -> web.Response:
    require_staff(request, Action.MANAGE_SUBNETS)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        steps = await first_step.next_steps(s, slug)
        name = (await subnets.local_subnet(s, slug)).name
    values.setdefault("on", steps is not None)
    values.setdefault(
        "values",
        {name: getattr(steps, name) if steps else "" for name in first_step.FIELDS},
    )
    return page(
        request,
        "first_step_settings.html",
        status=status,
        slug=slug,
        name=name,
        labels=first_step.LABELS,
        back=library_href(ctx.ids.subnet(slug)),
        **values,
    )


async def settings_form(request: web.Request) -> web.Response:
    return await _settings_page(request, request.match_info["slug"])


async def save_settings(request: web.Request) -> web.Response:
    admin = require_staff(request, Action.MANAGE_SUBNETS)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    slug = request.match_info["slug"]
    on = values.get("first_step") == "on"
    texts = {name: values.get(name, "") for name in first_step.FIELDS}
    try:
        async with ctx.db.transaction() as s:
            await first_step.set_first_step(
                s,
                slug=slug,
                on=on,
                now=ctx.clock(),
                texts=texts if on else None,
                who=ctx.ids.person(admin.id),
            )
    except Invalid as problem:
        return await _settings_page(
            request, slug, 400, errors=every_error(problem, "service"), values=texts, on=on
        )
    raise done(request, f"/admin/subnets/{slug}/first-step", "saved")


async def _assign_page(
    request: web.Request, person_id: str, status: int = 200, **values: Any
) -> web.Response:
    viewer = require_staff(request, Action.ADD_MEMBER)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        someone = await people.person_in_care(s, viewer, person_id)
        choices = await first_step.choices_for(s, ctx.ids, viewer)
    return page(
        request,
        "first_step_assign.html",
        status=status,
        someone=someone,
        choices=choices,
        back=f"/staff/people/{someone.id}",
        **values,
    )


async def assign_form(request: web.Request) -> web.Response:
    return await _assign_page(request, request.match_info["person"])


async def assign(request: web.Request) -> web.Response:
    viewer = require_staff(request, Action.ADD_MEMBER)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    person_id = request.match_info["person"]
    try:
        async with ctx.db.transaction() as s:
            await first_step.assign(
                s,
                ctx.ids,
                by=viewer,
                person_id=person_id,
                slug=values.get("subnet", ""),
                now=ctx.clock(),
            )
    except Invalid as problem:
        return await _assign_page(request, person_id, 400, errors=every_error(problem, "subnet"))
    raise done(request, f"/staff/people/{person_id}#names", "saved")


def register(app: web.Application) -> None:
    app.router.add_get("/admin/subnets/{slug}/first-step", settings_form)
    app.router.add_post("/admin/subnets/{slug}/first-step", save_settings)
    app.router.add_get("/staff/people/{person}/first-step", assign_form)
    app.router.add_post("/staff/people/{person}/first-step", assign)
