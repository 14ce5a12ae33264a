"""Reading a library upload: a multipart form whose text fields (CSRF token first) come
before its one file, streamed to a temporary file within the size limit — never held whole in
memory, never past the limit on disk. A form past the limit is drained and refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.helpers import parse_mimetype
from aiohttp.http_exceptions import BadHttpMessage  # a line past the reader's limit

from actors.library import LibraryService
from actors.records import Received
from webui.security import MAX_FIELDS, UnreadableInput, require_csrf

MAX_TEXT = 256 * 1024
DRAIN = 64 * 1024 * 1024


async def read_upload(
    request: web.Request, service: LibraryService
) -> tuple[dict[str, str], Received | None]:
    """(text fields, the file received or None). Raises CsrfError before any file byte is
    written unless the token came first and matched; FileTooLarge (nothing kept) past the
    limit for the form's `kind`."""
    media = parse_mimetype(request.headers.get(hdrs.CONTENT_TYPE, ""))
    if f"{media.type}/{media.subtype}" != "multipart/form-data":
        raise web.HTTPUnsupportedMediaType(text="This address takes a form with a file.")
    if request.headers.get(hdrs.CONTENT_ENCODING, "identity").lower() not in ("", "identity"):
        raise UnreadableInput("The form was sent compressed, which this site does not accept.")
    fields: dict[str, str] = {}
    received: Received | None = None
    size = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                raise UnreadableInput("The form holds a part that is not a named field.")
            if part.filename is None:
                if len(fields) >= MAX_FIELDS:
                    raise web.HTTPRequestEntityTooLarge(
                        max_size=MAX_TEXT, actual_size=size, text="The form is too large."
                    )
                chunks = []
                while chunk := await part.read_chunk():
                    size += len(chunk)
                    if size > MAX_TEXT:
                        raise web.HTTPRequestEntityTooLarge(
                            max_size=MAX_TEXT, actual_size=size, text="The form is too large."
                        )
                    chunks.append(chunk)
                fields[part.name] = b"".join(chunks).decode("utf-8")
                continue
            require_csrf(request, fields.get("csrf_token"))
            if part.name != "file" or received is not None:
                raise UnreadableInput("The form holds a file it does not take.")
            try:
                received = await service.receive(_chunks(part), fields.get("kind", ""))
            except Exception:
                await _drain(request)
                raise
    except UnicodeDecodeError:
        service.discard(received)
        raise UnreadableInput("The form holds characters that are not text (UTF-8).") from None
    except (ValueError, AssertionError, RuntimeError, LookupError, BadHttpMessage) as error:
        service.discard(received)
        raise UnreadableInput(f"The form could not be read ({type(error).__name__}).") from None
    except BaseException:  # refused after the file (a second file, a field too large), or cut off
        service.discard(received)
        raise
    if received is None:
        require_csrf(request, fields.get("csrf_token"))
    if any("\x00" in value for value in fields.values()):
        service.discard(received)
        raise UnreadableInput("The form holds a NUL character, which is not text.")
    return fields, received


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk():
        yield chunk


async def _drain(request: web.Request) -> None:
    """Read (and drop) what the browser is still sending, so it sees our answer."""
    drained = 0
    while drained < DRAIN and (chunk := await request.content.read(64 * 1024)):
        drained += len(chunk)
