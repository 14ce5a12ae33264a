"""Pages for people: sign in and out, my subnets, a subnet's posts, writing a post.

Routes only translate between HTTP and `actors/` operations; every rule lives in `actors/`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from actors import people, posts, subnets, threads
from actors.errors import ActorError, Invalid, NotFound, NotPermitted
from actors.throttle import Throttled
from webui.context import CSP_NONCE, CSRF, PENDING, PERSON, WEB
from webui.security import (
    SESSION_COOKIE,
    checked_form,
    presession_token,
    set_presession_cookie,
    set_session_cookie,
)


def page(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    ctx = request.app[WEB]
    values.setdefault("csrf_token", request[CSRF])
    return aiohttp_jinja2.render_template(
        template,
        request,
        {
            "trust_name": ctx.trust_name,
            "person": request[PERSON],
            "crisis_numbers": ctx.crisis_numbers,
            "cspNonce": request[CSP_NONCE],
            "assetPath": "/nhsuk/assets",
            **values,
        },
        status=status,
    )


def subnet_href(uri: str) -> str:
    return f"/subnet?id={quote(uri, safe='')}"


def require_person(request: web.Request) -> Any:
    person = request[PERSON]
    if person is None:
        step = "/sign-in/two-factor" if request[PENDING] else "/sign-in"
        raise web.HTTPSeeOther(f"{step}?next={quote(request.path_qs, safe='')}")
    return person


def safe_next(value: str | None) -> str:
    """Only same-site paths, so the sign-in form cannot send anyone elsewhere."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


async def home(request: web.Request) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        mine = await subnets.subnets_of(s, ctx.ids, person, ctx.trust_name)
    return page(request, "home.html", subnets=mine, href=subnet_href)


async def sign_in_form(request: web.Request) -> web.Response:
    token = presession_token(request)
    response = page(
        request, "sign_in.html", next=safe_next(request.query.get("next")), csrf_token=token
    )
    set_presession_cookie(request, response, token)
    return response


async def sign_in(request: web.Request) -> web.Response:
    form = await checked_form(request)
    ctx = request.app[WEB]
    username = str(form.get("username", "")).strip().lower()
    password = str(form.get("password", ""))
    errors = []
    if not username:
        errors.append({"text": "Enter your username", "href": "#username"})
    if not password:
        errors.append({"text": "Enter your password", "href": "#password"})
    person, status = None, 400
    if not errors:
        try:
            async with ctx.db.transaction() as s:
                person = await people.sign_in(
                    s,
                    ctx.hasher,
                    username=username,
                    password=password,
                    address=request.remote or "",
                    now=ctx.clock(),
                )
                if person is not None:
                    session = await people.start_session(s, person, ctx.clock())
        except Throttled as error:
            errors.append({"text": str(error), "href": "#username"})
            status = 429
        else:
            if person is None:
                errors.append(
                    {"text": "The username or password is not right", "href": "#username"}
                )
    if errors:
        token = str(form.get("csrf_token"))
        return page(
            request,
            "sign_in.html",
            status=status,
            errors=errors,
            username=username,
            next=safe_next(str(form.get("next", ""))),
            csrf_token=token,
        )
    target = safe_next(str(form.get("next", "")))
    if not session.verified:
        target = f"/sign-in/two-factor?next={quote(target, safe='')}"
    response = web.HTTPSeeOther(target)
    set_session_cookie(request, response, session.token)
    raise response


async def sign_out_form(request: web.Request) -> web.Response:
    require_person(request)
    return page(request, "sign_out.html")


async def sign_out(request: web.Request) -> web.Response:
    await checked_form(request)
    ctx = request.app[WEB]
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with ctx.db.transaction() as s:
            await people.end_session(s, token)
    response = web.HTTPSeeOther("/sign-in")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def subnet_page(
    request: web.Request, uri: str, *, errors: list | None = None, draft: str = ""
) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            loaded = await posts.subnet_page(
                s, ctx.ids, person=person, subnet_uri=uri, node_name=ctx.trust_name
            )
            moderator = await threads.is_moderator(s, ctx.ids, person, uri)
    except NotFound:
        raise web.HTTPNotFound(
            text="There is no such subnet, or you are not a member of it."
        ) from None
    entries = await posts.resolve_page(loaded, ctx.resolver)
    return page(
        request,
        "subnet.html",
        status=400 if errors else 200,
        subnet=loaded.subnet,
        entries=entries,
        authors={entry.uri: entry.author_name for entry in entries},
        moderator=moderator,
        errors=errors or [],
        draft=draft,
        subnet_uri=uri,
    )


async def subnet(request: web.Request) -> web.Response:
    return await subnet_page(request, request.query.get("id", ""))


async def write_post(request: web.Request) -> web.Response:
    person = require_person(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    uri = str(form.get("subnet", ""))
    content = str(form.get("content", ""))
    try:
        async with ctx.db.transaction() as s:
            await posts.write_post(
                s,
                ctx.ids,
                person=person,
                subnet_uri=uri,
                content=content,
                now=ctx.clock(),
                in_reply_to=str(form.get("in_reply_to", "")) or None,
            )
    except NotFound:
        raise web.HTTPNotFound(
            text="There is no such subnet, or you are not a member of it."
        ) from None
    except (Invalid, NotPermitted) as error:
        return await subnet_page(
            request, uri, errors=[{"text": str(error), "href": "#content"}], draft=content
        )
    except ActorError as error:
        raise web.HTTPBadRequest(text=str(error)) from None
    raise web.HTTPSeeOther(subnet_href(uri) + "#posts")


async def help_page(request: web.Request) -> web.Response:
    return page(request, "help.html")


def register(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/sign-in", sign_in_form)
    app.router.add_post("/sign-in", sign_in)
    app.router.add_get("/sign-out", sign_out_form)
    app.router.add_post("/sign-out", sign_out)
    app.router.add_get("/subnet", subnet)
    app.router.add_post("/subnet/posts", write_post)
    app.router.add_get("/help", help_page)
