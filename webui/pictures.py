"""Pictures in posts, for people: the picture of a post they may see (kept here, or fetched
live from the post's home trust)."""

from __future__ import annotations

from aiohttp import web

from actors import pictures
from actors.errors import NotFound
from webui.context import WEB
from webui.routes import require_person


def picture_response(picture: pictures.PictureBytes) -> web.Response:
    """A picture's bytes: its own type, never sniffed, kept by no shared cache."""
    return web.Response(
        body=picture.data,
        content_type=picture.media_type,
        headers={
            "Cache-Control": "private, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )


async def picture(request: web.Request) -> web.Response:
    """`/pictures?post=<uri>[&size=thumbnail]`: the picture of a post the person may see —
    kept here, or fetched live from the post's home trust."""
    person = require_person(request)
    ctx = request.app[WEB]
    thumbnail = request.query.get("size") == "thumbnail"
    try:
        async with ctx.db.transaction() as s:
            found = await pictures.picture_for(
                s,
                ctx.ids,
                person=person,
                object_uri=request.query.get("post", ""),
                thumbnail=thumbnail,
            )
    except NotFound:
        raise web.HTTPNotFound(text="There is no such picture, or you may not see it.") from None
    if isinstance(found, pictures.RemotePicture):
        fetched = (
            await ctx.pictures.fetch(found.ref, found.reader_uri, thumbnail)
            if ctx.pictures is not None
            else None
        )
        if fetched is None:
            raise web.HTTPNotFound(
                text="This picture could not be loaded from its trust just now. Try again later."
            )
        found = fetched
    return picture_response(found)


def register(app: web.Application) -> None:
    app.router.add_get("/pictures", picture)
