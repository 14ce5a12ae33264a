"""The second step of a staff sign-in: enrol an authenticator app, or enter its code.

Between the password and this step the session is "pending": it opens no page but these.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors import totp
from actors.errors import Invalid
from actors.throttle import Throttled
from webui.context import PENDING, PERSON, WEB
from webui.forms import error, text
from webui.routes import page, safe_next
from webui.security import SESSION_COOKIE, checked_form


def _pending(request: web.Request) -> Any:
    person = request[PENDING]
    if person is None:
        raise web.HTTPSeeOther("/" if request[PERSON] else "/sign-in")
    return person


def _enrol_page(
    request: web.Request, person: Any, secret: str, status: int = 200, **values: Any
) -> web.Response:
    ctx = request.app[WEB]
    return page(
        request,
        "two_factor_enrol.html",
        status=status,
        secret=secret,
        shown_secret=totp.show_secret(secret),
        uri=totp.provisioning_uri(secret, username=person.username, issuer=ctx.trust_name),
        next=safe_next(request.query.get("next") or values.pop("next", "")),
        **values,
    )


async def second_step(request: web.Request) -> web.Response:
    person = _pending(request)
    if person.totp_secret is None:
        return _enrol_page(request, person, totp.new_secret())
    return page(request, "two_factor.html", next=safe_next(request.query.get("next")))


async def verify(request: web.Request) -> web.Response:
    person = _pending(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    target = safe_next(text(form, "next"))
    problem = None
    try:
        async with ctx.db.transaction() as s:
            accepted = await totp.verify(
                s,
                person_id=person.id,
                session_token=request.cookies.get(SESSION_COOKIE, ""),
                code=text(form, "code"),
                now=ctx.clock(),
            )
        if not accepted:
            problem = (
                "That code is not right, or was used already. Wait for a new code and try again"
            )
    except Throttled as throttled:
        problem = str(throttled)
    if problem:
        return page(
            request, "two_factor.html", status=400, errors=[error(problem, "code")], next=target
        )
    raise web.HTTPSeeOther(target)


async def enrol(request: web.Request) -> web.Response:
    person = _pending(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    secret = text(form, "secret")
    try:
        async with ctx.db.transaction() as s:
            codes = await totp.enrol(
                s,
                person_id=person.id,
                session_token=request.cookies.get(SESSION_COOKIE, ""),
                secret=secret,
                code=text(form, "code"),
                now=ctx.clock(),
            )
    except Invalid as problem:
        return _enrol_page(
            request,
            person,
            secret,
            status=400,
            errors=[error(str(problem), "code")],
            next=text(form, "next"),
        )
    return page(request, "recovery_codes.html", codes=codes, next=safe_next(text(form, "next")))


def register(app: web.Application) -> None:
    app.router.add_get("/sign-in/two-factor", second_step)
    app.router.add_post("/sign-in/two-factor", verify)
    app.router.add_post("/sign-in/two-factor/enrol", enrol)
