"""Browser security: session cookies, CSRF tokens and response headers.

Signed-in forms carry the session's CSRF token; the sign-in form (no session yet) uses a
double-submit cookie. Every HTML response gets a strict Content-Security-Policy with a per-request
nonce (the NHS.UK template's one inline script carries it), no framing, no sniffing, no referrer.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import MultiDictProxy

from actors import people
from webui.context import CSP_NONCE, CSRF, PENDING, PERSON, WEB

SESSION_COOKIE = "sharon_session"
PRESESSION_COOKIE = "sharon_csrf"
STATIC_PREFIXES = ("/static/", "/nhsuk/")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CsrfError(web.HTTPForbidden):
    def __init__(self) -> None:
        super().__init__(
            text="This form has expired or did not come from this site. Go back, reload the page "
            "and try again."
        )


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[CSP_NONCE] = secrets.token_urlsafe(16)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
        _headers(response, request)
        raise
    _headers(response, request)
    return response


def _headers(response: web.StreamResponse, request: web.Request) -> None:
    nonce = request[CSP_NONCE]
    if not request.path.startswith(STATIC_PREFIXES):
        # Pages hold posts, codes and links: a shared phone's back button or cache keeps none.
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")


@web.middleware
async def load_session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach `person` and `csrf` to the request when a live session cookie is present."""
    request[PERSON] = None
    request[PENDING] = None
    request[CSRF] = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        ctx = request.app[WEB]
        async with ctx.db.transaction() as s:
            found = await people.session_for(s, token, ctx.clock())
        if found is not None:
            session, person = found
            request[PERSON if session.verified else PENDING] = person
            request[CSRF] = session.csrf_token
    return await handler(request)


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


async def checked_form(request: web.Request) -> MultiDictProxy[str | bytes | web.FileField]:
    """The posted form, if its CSRF token matches the session's (or the pre-session cookie)."""
    form = await request.post()
    sent = form.get("csrf_token")
    expected = request[CSRF] or request.cookies.get(PRESESSION_COOKIE)
    if not isinstance(sent, str) or not _same(sent, expected):
        raise CsrfError()
    return form


async def checked_fields(request: web.Request) -> dict[str, str]:
    """The posted form's text fields, once its CSRF token has been checked."""
    form = await checked_form(request)
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


def presession_token(request: web.Request) -> str:
    """The sign-in form's CSRF token: the browser's existing one, or a new one."""
    return request.cookies.get(PRESESSION_COOKIE) or secrets.token_urlsafe(32)


def _set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, samesite: str
) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite=samesite,
        secure=request.app[WEB].secure_cookies,
        path="/",
    )


def set_presession_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    _set_cookie(request, response, PRESESSION_COOKIE, token, "Strict")


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    _set_cookie(request, response, SESSION_COOKIE, token, "Lax")
    response.del_cookie(PRESESSION_COOKIE, path="/")
