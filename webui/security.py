"""Browser security: session cookies, CSRF tokens and response headers.

Signed-in forms carry the session's CSRF token; the sign-in form (no session yet) uses a
double-submit cookie. Every HTML response gets a strict Content-Security-Policy with a per-request
nonce (the NHS.UK template's one inline script carries it), no framing, no sniffing, no referrer.

Pages are sent compressed, so a token must never be the same bytes twice (BREACH): each page
carries the CSRF token under a fresh random mask (`masked`), and a form's token is unmasked before
it is compared.

Forms and addresses are read strictly, so that what a person sent is what is used, or they are
told it could not be read (400) — never a 500, never a silent repair: a form must be
`application/x-www-form-urlencoded` or `multipart/form-data` in UTF-8, uncompressed, of text
fields only (a part sent as a file is refused, but for the one file a form may take:
`checked_form_with_file`), whose values are valid UTF-8 without NUL
(invalid bytes are refused, not replaced with U+FFFD); an address's path and query likewise.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_to_bytes

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.helpers import parse_mimetype
from aiohttp.http_exceptions import BadHttpMessage  # a line past the reader's limit
from multidict import MultiDict, MultiDictProxy

from actors import people
from webui.context import CSP_NONCE, CSRF, PENDING, PERSON, WEB

SESSION_COOKIE = "sharon_session"
PRESESSION_COOKIE = "sharon_csrf"
STATIC_PREFIXES = ("/static/", "/nhsuk/")
MAX_FORM = 1024 * 1024
MAX_FIELDS = 1000
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
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


class UnreadableInput(web.HTTPBadRequest):
    """A form or address that is not text we can read; the message says what was wrong."""

    def __init__(self, problem: str) -> None:
        super().__init__(text=f"{problem} Go back, check what you entered and try again.")


@web.middleware
async def readable_address(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse (400) an address whose path or query is not UTF-8 text, or holds NUL."""
    path, _, query = request.raw_path.partition("?")
    try:
        unquote_to_bytes(path).decode("utf-8")
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise UnreadableInput("This address holds characters that are not text.") from None
    if "%00" in path or any("\x00" in name or "\x00" in value for name, value in pairs):
        raise UnreadableInput("This address holds a NUL character.")
    return await handler(request)


@dataclass(frozen=True)
class Upload:
    """The bytes of a file a form sent (what they are is for the receiver to find out)."""

    data: bytes


class UploadTooLarge(Exception):
    """A form's file is larger than the form takes: the rest of the form was not read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class _FileField:
    name: str
    limit: int
    found: list[Upload]


async def checked_form_with_file(
    request: web.Request, name: str, limit: int
) -> tuple[MultiDictProxy[str], Upload | None]:
    """A multipart form with one file field `name` of at most `limit` bytes, and its CSRF
    token checked; the file is None when none was chosen. UploadTooLarge as soon as the body
    shows a larger file (a form page can then say so, rather than a bare 413)."""
    if request.content_length is not None and request.content_length > limit + MAX_FORM:
        raise UploadTooLarge(limit)
    found: list[Upload] = []
    form = await read_form(request, _FileField(name, limit, found))
    require_csrf(request, form.get("csrf_token"))
    return form, found[0] if found else None


async def read_form(request: web.Request, file: _FileField | None = None) -> MultiDictProxy[str]:
    """The posted form's fields, read strictly (see the module docstring); 400/413/415 else."""
    coding = request.headers.get(hdrs.CONTENT_ENCODING, "identity").strip().lower()
    if coding not in ("", "identity"):
        raise UnreadableInput("The form was sent compressed, which this site does not accept.")
    media = parse_mimetype(request.headers.get(hdrs.CONTENT_TYPE, ""))
    kind = f"{media.type}/{media.subtype}"
    if kind not in FORM_TYPES:
        raise web.HTTPUnsupportedMediaType(text="This address takes a form sent by a browser.")
    _utf8_only(media.parameters.get("charset"))
    if kind == FORM_TYPES[0]:
        body = await request.read()  # bounded by the application's client_max_size (413)
        try:
            pairs = parse_qsl(
                body.decode("utf-8"),
                keep_blank_values=True,
                encoding="utf-8",
                errors="strict",
                max_num_fields=MAX_FIELDS,
            )
        except (UnicodeDecodeError, ValueError):
            raise UnreadableInput("The form holds characters that are not text (UTF-8).") from None
    else:
        pairs = await _multipart_fields(request, file)
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise UnreadableInput("The form holds a NUL character, which is not text.")
        try:
            (name + value).encode("utf-8")
        except UnicodeEncodeError:  # a part's headers decoded with surrogate escapes
            raise UnreadableInput("The form holds characters that are not text (UTF-8).") from None
    return MultiDictProxy(MultiDict(pairs))


def _utf8_only(charset: str | None) -> None:
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise UnreadableInput("The form was sent in a character set other than UTF-8.")


async def _file_part(part: BodyPartReader, file: _FileField) -> None:
    """Read the form's one file; nothing when no file was chosen (an empty, unnamed part)."""
    if file.found:
        raise UnreadableInput("The form holds more than one file.")
    chunks, size = [], 0
    while chunk := await part.read_chunk():
        size += len(chunk)
        if size > file.limit:
            raise UploadTooLarge(file.limit)
        chunks.append(chunk)
    if size or part.filename:
        file.found.append(Upload(b"".join(chunks)))


async def _multipart_fields(
    request: web.Request, file: _FileField | None = None
) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    total = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                raise UnreadableInput("The form holds a part that is not a named field.")
            if file is not None and part.name == file.name and part.filename is not None:
                await _file_part(part, file)
                continue
            if part.filename is not None:
                raise UnreadableInput(
                    f"The field {part.name[:40]!r} was sent as a file; this form takes text only."
                )
            if part.headers.get(hdrs.CONTENT_ENCODING) or part.headers.get(
                hdrs.CONTENT_TRANSFER_ENCODING, "binary"
            ).lower() not in ("7bit", "8bit", "binary"):
                raise UnreadableInput("The form holds an encoded part, which is not accepted.")
            _utf8_only(
                parse_mimetype(part.headers.get(hdrs.CONTENT_TYPE, "")).parameters.get("charset")
            )
            chunks = []
            if len(pairs) >= MAX_FIELDS:  # empty parts have no chunk to count them by
                raise web.HTTPRequestEntityTooLarge(
                    max_size=MAX_FORM, actual_size=total, text="The form is too large."
                )
            while chunk := await part.read_chunk():
                total += len(chunk)
                if total > MAX_FORM:
                    raise web.HTTPRequestEntityTooLarge(
                        max_size=MAX_FORM, actual_size=total, text="The form is too large."
                    )
                chunks.append(chunk)
            pairs.append((part.name, b"".join(chunks).decode("utf-8")))
    except UnicodeDecodeError:
        raise UnreadableInput("The form holds characters that are not text (UTF-8).") from None
    except (ValueError, AssertionError, RuntimeError, LookupError, BadHttpMessage) as error:
        raise UnreadableInput(f"The form could not be read ({type(error).__name__}).") from None
    return pairs


def masked(token: str) -> str:
    """`token` XORed with a fresh random mask, the mask in front: different bytes on every page."""
    raw = token.encode()
    mask = secrets.token_bytes(len(raw))
    both = mask + bytes(a ^ b for a, b in zip(raw, mask, strict=True))
    return base64.urlsafe_b64encode(both).decode().rstrip("=")


def unmasked(value: str) -> str | None:
    """The token `masked` hid in `value`; None when `value` is not such a thing."""
    try:
        both = base64.urlsafe_b64decode(value.encode("ascii") + b"=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    half = len(both) // 2
    if not half or len(both) % 2:
        return None
    token = bytes(a ^ b for a, b in zip(both[half:], both[:half], strict=True))
    return token.decode("ascii") if token.isascii() else None


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def require_csrf(request: web.Request, sent: object) -> None:
    """CsrfError unless `sent` (a form's masked token) is this session's token."""
    if not isinstance(sent, str) or not _same(unmasked(sent), request[CSRF]):
        raise CsrfError()


async def checked_form(request: web.Request) -> MultiDictProxy[str]:
    """The posted form, if its CSRF token matches the session's (or the pre-session cookie)."""
    form = await read_form(request)
    sent = form.get("csrf_token")
    expected = request[CSRF] or request.cookies.get(PRESESSION_COOKIE)
    if not isinstance(sent, str) or not _same(unmasked(sent), expected):
        raise CsrfError()
    return form


async def checked_fields(request: web.Request) -> dict[str, str]:
    """The posted form's text fields, once its CSRF token has been checked."""
    form = await checked_form(request)
    return dict(form.items())


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
