"""A person's own account page: the profile others see (pseudonym, picture), recovery codes,
and signing out everywhere.

Routes translate HTTP to `actors/` calls; every rule lives in `actors/`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors import avatars, people, profile, totp
from actors.errors import Invalid
from actors.policy import Action, may
from webui.context import WEB
from webui.forms import error, text
from webui.routes import name_support_href, page, require_person
from webui.security import SESSION_COOKIE, checked_form


async def account(request: web.Request, status: int = 200, **values: Any) -> web.Response:
    person = require_person(request)
    if person.totp_secret:
        ctx = request.app[WEB]
        async with ctx.db.transaction() as s:
            values["recovery_codes_left"] = await totp.recovery_codes_left(s, person.id)
    values.setdefault("pseudonym", person.pseudonym)
    values.setdefault("avatar", person.avatar or "")
    return page(
        request,
        "account.html",
        status=status,
        avatars=avatars.AVATARS,
        may_erase=may(person.role, Action.ERASE_OWN_ACCOUNT),
        keeps_journal=may(person.role, Action.KEEP_JOURNAL),
        saved=request.query.get("saved") == "1",
        **values,
    )


async def save_profile(request: web.Request) -> web.Response:
    person = require_person(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    pseudonym, avatar = text(form, "pseudonym"), text(form, "avatar")
    try:
        async with ctx.db.transaction() as s:
            held = await profile.update_profile(
                s,
                ctx.ids,
                person_id=person.id,
                pseudonym=pseudonym,
                avatar=avatar,
                now=ctx.clock(),
                screener=ctx.screener,
            )
    except Invalid as problem:
        return await account(
            request,
            status=400,
            errors=[error(str(problem), problem.field or "pseudonym")],
            pseudonym=pseudonym,
            avatar=avatar,
        )
    if held is not None:
        raise web.HTTPSeeOther(name_support_href(held.id))
    raise web.HTTPSeeOther("/account?saved=1")


async def renew_recovery_codes(request: web.Request) -> web.Response:
    person = require_person(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            codes = await totp.renew_recovery_codes(
                s, person_id=person.id, code=text(form, "code"), now=ctx.clock()
            )
    except Invalid as problem:
        return await account(request, status=400, errors=[error(str(problem), "renew-code")])
    return page(request, "recovery_codes.html", codes=codes, next="/account")


async def sign_out_everywhere(request: web.Request) -> web.Response:
    person = require_person(request)
    await checked_form(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        await people.end_all_sessions(s, person.id)
    response = web.HTTPSeeOther("/sign-in")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def register(app: web.Application) -> None:
    app.router.add_get("/account", account)
    app.router.add_post("/account/profile", save_profile)
    app.router.add_post("/account/recovery-codes", renew_recovery_codes)
    app.router.add_post("/account/sign-out-everywhere", sign_out_everywhere)
