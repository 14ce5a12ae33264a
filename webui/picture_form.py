"""The picture a post form sends: checked and cleaned by `actors/` (never kept as sent)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from multidict import MultiDictProxy

from actors import picture_files, pictures
from actors.errors import Invalid
from actors.picture_files import ALT_FIELD, NewPicture
from webui.context import WEB
from webui.forms import error
from webui.security import Upload


async def checked_picture(
    request: web.Request, form: MultiDictProxy[str], upload: Upload | None
) -> tuple[NewPicture | None, list[dict[str, str]]]:
    """The picture a post form sent, cleaned, with its description; or the form's errors
    about it (every one at once). No file chosen: no picture, and no error."""
    if upload is None:
        return None, []
    problems: list[dict[str, str]] = []
    alt = ""
    try:
        alt = pictures.checked_alt(str(form.get(ALT_FIELD, "")))
    except Invalid as problem:
        problems.append(error(str(problem), problem.field or ALT_FIELD))
    ctx = request.app[WEB]
    try:
        async with ctx.picture_slots:
            clean = await asyncio.to_thread(picture_files.clean, upload.data, ctx.picture_max_bytes)
    except Invalid as problem:
        problems.insert(0, error(str(problem), problem.field or picture_files.PICTURE_FIELD))
        return None, problems
    if problems:  # a browser cannot fill a file in again: say so, where the file goes
        problems.insert(
            0,
            error(
                "Choose the picture again: it was not kept, because the form had a problem.",
                picture_files.PICTURE_FIELD,
            ),
        )
        return None, problems
    return NewPicture(clean, alt), problems
