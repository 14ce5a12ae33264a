"""Error pages: every 4xx and 5xx a person's browser meets, in the NHS.UK layout.

A route refuses by raising an aiohttp HTTP error with a sentence for people (`text=`); this
middleware turns it into `error.html` — the header, the crisis banner, a heading for the status,
that sentence and a way back — with the same status and the error's own headers (`Allow`,
`Retry-After`). An exception nobody expected becomes a 500 page (logged with its traceback, as
aiohttp itself would). Machines keep what they asked for: a signed request (a peer node), a
request that prefers JSON, or an error a route already answered as JSON passes through as is.
"""

from __future__ import annotations

import logging

from aiohttp import hdrs, web

from webui.context import PERSON
from webui.routes import page
from webui.security import CsrfError, Handler

log = logging.getLogger(__name__)

HEADINGS = {
    400: "We could not read what was sent",
    401: "You need to sign in",
    403: "You cannot see or do this",
    404: "Page not found",
    405: "This page cannot be used like that",
    409: "This has been done already",
    410: "This has been deleted",
    413: "What you sent is too large",
    415: "What you sent is not a form",
    429: "Too many tries",
    500: "Sorry, there is a problem with the service",
}
MESSAGES = {
    400: "Go back, check what you entered and try again.",
    401: "Sign in, then try again.",
    403: "You do not have permission for this.",
    404: "If you typed the web address, check it is correct. If you pasted it, check you "
    "copied the entire address.",
    405: "Go back to the page you came from and use its buttons or links.",
    409: "Go back to the page you came from to see how things stand now.",
    410: "Go back to the page you came from.",
    413: "Go back and send something smaller.",
    415: "Go back to the page you came from and use its form.",
    429: "Wait a few minutes, then try again.",
    500: "Try again later. Nothing you wrote has been shared while this was going wrong.",
}
KEPT_HEADERS = (hdrs.ALLOW, hdrs.RETRY_AFTER, hdrs.WWW_AUTHENTICATE, "X-Request-Id")


def wants_page(request: web.Request, error: web.HTTPException | None = None) -> bool:
    """Whether the error goes to a person's browser (HTML) rather than a machine."""
    if "Signature" in request.headers or "Signature-Input" in request.headers:
        return False
    if error is not None and error.content_type and "json" in error.content_type:
        return False
    accept = request.headers.get(hdrs.ACCEPT, "")
    return "json" not in accept or "text/html" in accept


def _message(error: web.HTTPException) -> str:
    text = error.text or ""
    generic = f"{error.status}: {error.reason}"
    if not text or text == generic:
        return MESSAGES.get(error.status, MESSAGES[400 if error.status < 500 else 500])
    return text


def error_page(request: web.Request, error: web.HTTPException) -> web.Response:
    status = error.status
    heading = HEADINGS.get(status, HEADINGS[400 if status < 500 else 500])
    if isinstance(error, CsrfError):
        heading = "This form has expired"
    response = page(
        request,
        "error.html",
        status=status,
        heading=heading,
        message=_message(error),
        signed_in=request.get(PERSON) is not None,
        sign_in=status == 401,
    )
    for name in KEPT_HEADERS:
        if name in error.headers:
            response.headers[name] = error.headers[name]
    return response


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400 or not wants_page(request, error):
            raise
        return error_page(request, error)
    except Exception as error:
        if not wants_page(request):
            raise
        log.error("unhandled %s", type(error).__name__, exc_info=error)
        return error_page(request, web.HTTPInternalServerError())
