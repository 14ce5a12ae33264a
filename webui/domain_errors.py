"""The domain's refusals become HTTP answers in one place.

`actors` raises `NotFound`, `NotPermitted`, `Invalid`, `Conflict`, `Gone` and `Throttled`, and
`str(error)` is always safe to show. A handler with nothing of its own to do about one (no form
to show again, no wording of its own) lets it escape; this middleware answers with the status it
means and its sentence, which `error_pages` (just outside) renders as a page for a person or
passes through for a machine. `Throttled` carries `Retry-After`. Any other exception goes on as
it was (a 500).
"""

from __future__ import annotations

from aiohttp import hdrs, web

from actors.errors import ActorError, Conflict, Gone, Invalid, NotFound, NotPermitted
from actors.throttle import Throttled
from webui.security import Handler

STATUSES: tuple[tuple[type[ActorError], type[web.HTTPException]], ...] = (
    (NotFound, web.HTTPNotFound),
    (NotPermitted, web.HTTPForbidden),
    (Invalid, web.HTTPBadRequest),
    (Conflict, web.HTTPConflict),
    (Gone, web.HTTPGone),
    (Throttled, web.HTTPTooManyRequests),
)


def http_error(error: ActorError) -> web.HTTPException | None:
    """The answer a domain error means; None for one this edge does not know."""
    for kind, answer in STATUSES:
        if isinstance(error, kind):
            headers = {}
            if isinstance(error, Throttled):
                headers[hdrs.RETRY_AFTER] = str(error.retry_after)
            return answer(text=str(error), headers=headers)
    return None


@web.middleware
async def domain_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ActorError as error:
        answer = http_error(error)
        if answer is None:
            raise
        raise answer from None
