"""Pages for a person's own account: joining by invitation, password reset, profile, signing
out everywhere, and their data-protection rights (download, erase).

Routes translate HTTP to `actors/` calls; every rule lives in `actors/`.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from actors import avatars, gdpr, house_rules, invitations, people, profile, resets, totp
from actors.errors import Conflict, Invalid, NotPermitted
from actors.policy import Action, may
from actors.throttle import Throttled
from webui.context import CSRF, PERSON, WEB
from webui.forms import error, every_error, text
from webui.routes import name_support_href, page, require_person
from webui.security import (
    SESSION_COOKIE,
    checked_form,
    presession_token,
    set_presession_cookie,
    set_session_cookie,
)


def _form_token(request: web.Request) -> str:
    """A signed-in browser's session token, else the pre-session double-submit token."""
    return request[CSRF] or presession_token(request)


def _presession_page(
    request: web.Request, template: str, status: int = 200, **values: Any
) -> web.Response:
    """A form page that people without a session fill in (join, reset): it carries the
    double-submit CSRF token and sets its cookie."""
    token = _form_token(request)
    response = page(request, template, status=status, csrf_token=token, **values)
    if not request[CSRF]:
        set_presession_cookie(request, response, token)
    return response


def _join_page(request: web.Request, status: int = 200, **values: Any) -> web.Response:
    return _presession_page(request, "join.html", status, **values)


async def join_form(request: web.Request) -> web.Response:
    """The link's token is checked (without counting failures) to greet the invitee properly."""
    ctx = request.app[WEB]
    token = request.query.get("token", "")
    if not token:
        return _join_page(request)
    try:
        async with ctx.db.transaction() as s:
            invitation = await invitations.open_invitation(
                s, token=token, address=request.remote or "", now=ctx.clock()
            )
            names = await invitations.subnet_names(s, invitation)
            rules = await house_rules.rules_of_slugs(s, invitation.subnet_slugs)
    except (Invalid, Throttled) as problem:
        return _join_page(request, status=400, problem=str(problem))
    return _join_page(request, invite_token=token, subnet_names=names, house_rules=rules)


async def join(request: web.Request) -> web.Response:
    form = await checked_form(request)
    ctx = request.app[WEB]
    token, code = text(form, "token"), text(form, "code")
    username = text(form, "username").lower()
    pseudonym = text(form, "pseudonym")
    password = str(form.get("password", ""))
    address = request.remote or ""
    errors = []
    if not token and not code:
        errors.append(error("Enter the invitation code your clinician gave you", "code"))
    if not username:
        errors.append(error("Choose a username", "username"))
    if not pseudonym:
        errors.append(error("Choose a pseudonym", "pseudonym"))
    if not password:
        errors.append(error("Choose a password", "password"))
    if username and pseudonym and password:
        try:
            people.check_new_account(username, password, pseudonym)
        except Invalid as problem:
            errors.extend(every_error(problem, "username"))
    if not errors:
        now = ctx.clock()
        try:
            async with ctx.db.transaction() as s:
                invitation = await invitations.open_invitation(
                    s, token=token, code=code, address=address, now=now
                )
                person, held = await invitations.accept_invitation(
                    s,
                    ctx.ids,
                    ctx.hasher,
                    invitation=invitation,
                    username=username,
                    pseudonym=pseudonym,
                    password=password,
                    now=now,
                    screener=ctx.screener,
                )
                session = await people.start_session(s, person, now)
        except invitations.WrongCode as problem:
            async with ctx.db.transaction() as s:
                await invitations.record_wrong_code(s, address=address, now=now)
            errors.append(error(str(problem), "code"))
        except Invalid as problem:
            errors.extend(every_error(problem, "code"))
        except Conflict:
            errors.append(error("That username is taken. Choose another one", "username"))
        except Throttled as problem:
            errors.append(error(str(problem), "code"))
    if errors:
        return _join_page(
            request,
            status=400,
            errors=errors,
            invite_token=token,
            code=code,
            username=username,
            pseudonym=pseudonym,
        )
    response = web.HTTPSeeOther(name_support_href(held.id) if held else "/welcome")
    set_session_cookie(request, response, session.token)
    raise response


def _reset_page(request: web.Request, status: int = 200, **values: Any) -> web.Response:
    return _presession_page(request, "reset.html", status, **values)


async def reset_form(request: web.Request) -> web.Response:
    ctx = request.app[WEB]
    token = request.query.get("token", "")
    try:
        async with ctx.db.transaction() as s:
            await resets.open_reset(s, token, ctx.clock())
    except Invalid as problem:
        return _reset_page(request, status=400, problem=str(problem))
    return _reset_page(request, reset_token=token)


async def reset(request: web.Request) -> web.Response:
    form = await checked_form(request)
    ctx = request.app[WEB]
    token, password = text(form, "token"), str(form.get("password", ""))
    if not password:
        return _reset_page(
            request, status=400, reset_token=token, errors=[error("Choose a password", "password")]
        )
    try:
        async with ctx.db.transaction() as s:
            await resets.use_reset(
                s, ctx.ids, ctx.hasher, token=token, password=password, now=ctx.clock()
            )
    except Invalid as problem:
        if problem.field != "password":
            return _reset_page(request, status=400, problem=str(problem))
        return _reset_page(
            request, status=400, reset_token=token, errors=[error(str(problem), "password")]
        )
    response = page(request, "reset_done.html")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


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


async def _export(request: web.Request) -> dict[str, Any]:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        return await gdpr.export(
            s, ctx.ids, person=person, node_name=ctx.trust_name, now=ctx.clock()
        )


async def data_json(request: web.Request) -> web.Response:
    data = await _export(request)
    return web.json_response(
        data,
        dumps=lambda value: json.dumps(value, indent=2, ensure_ascii=False),
        headers={
            "Content-Disposition": 'attachment; filename="sharon-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


async def data_html(request: web.Request) -> web.Response:
    response = page(request, "my_data.html", data=await _export(request))
    response.headers["Cache-Control"] = "no-store"
    return response


async def erase_form(request: web.Request, status: int = 200, **values: Any) -> web.Response:
    person = require_person(request)
    if not may(person.role, Action.ERASE_OWN_ACCOUNT):
        raise web.HTTPForbidden(text="Staff accounts are closed by the trust's admin.")
    return page(request, "erase.html", status=status, **values)


async def erase(request: web.Request) -> web.Response:
    person = require_person(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    errors = []
    if form.get("confirm") != "yes":
        errors.append(error("Tick the box to confirm you want your account erased", "confirm"))
    if not form.get("password"):
        errors.append(error("Enter your password", "password"))
    if not errors:
        try:
            async with ctx.db.transaction() as s:
                await gdpr.erase(
                    s,
                    ctx.ids,
                    ctx.hasher,
                    person=person,
                    password=str(form.get("password")),
                    now=ctx.clock(),
                )
        except Invalid as problem:
            errors.append(error(str(problem), problem.field or "password"))
        except NotPermitted as problem:
            raise web.HTTPForbidden(text=str(problem)) from None
    if errors:
        return await erase_form(request, status=400, errors=errors)
    request[PERSON] = None
    response = page(request, "erased.html")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


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
    app.router.add_get("/join", join_form)
    app.router.add_post("/join", join)
    app.router.add_get("/reset", reset_form)
    app.router.add_post("/reset", reset)
    app.router.add_get("/account", account)
    app.router.add_post("/account/sign-out-everywhere", sign_out_everywhere)
    app.router.add_post("/account/profile", save_profile)
    app.router.add_post("/account/recovery-codes", renew_recovery_codes)
    app.router.add_get("/account/data.json", data_json)
    app.router.add_get("/account/data", data_html)
    app.router.add_get("/account/erase", erase_form)
    app.router.add_post("/account/erase", erase)
