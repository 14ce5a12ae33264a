"""Library pages: a subnet's library, its items, files (with HTTP ranges so a phone can seek),
and the forms its staff add, edit, reorder and retire items with.

A local subnet's library is read here; a partner's is read live from its home through
`LibraryService.remote` for the signed-in member. Every rule lives in `actors/library.py`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from actors import library
from actors.errors import Invalid, NotFound, NotPermitted
from webui import markdown
from webui.context import WEB
from webui.flash import done
from webui.forms import every_error
from webui.library_upload import read_upload
from webui.routes import page, require_person, subnet_href
from webui.security import checked_fields

NO_LIBRARY = "There is no such library, or you are not a member of its subnet."
KIND_LABELS = {"page": "Page", "document": "PDF document", "video": "Video"}


def library_href(subnet_uri: str) -> str:
    return f"/subnet/library?id={quote(subnet_uri, safe='')}"


def item_href(subnet_uri: str, item_id: str, what: str = "item") -> str:
    return f"/subnet/library/{what}?" + urlencode({"id": subnet_uri, "item": item_id})


def _service(request: web.Request) -> library.LibraryService:
    service = request.app[WEB].library
    if service is None:
        raise web.HTTPNotFound(text=NO_LIBRARY)
    return service


async def _library(request: web.Request, uri: str) -> library.Library:
    """The subnet's library for the signed-in person, local or read live from its home."""
    person = require_person(request)
    ctx = request.app[WEB]
    try:
        if ctx.ids.subnet_slug(uri) is not None:
            async with ctx.db.transaction() as s:
                return await library.library_for(
                    s, ctx.ids, person=person, subnet_uri=uri, node_name=ctx.trust_name
                )
        async with ctx.db.transaction() as s:
            reader = await library.member_uri_of(s, ctx.ids, person, uri)
        return await _service(request).remote.library(uri, reader)
    except library.LibraryUnavailable as problem:
        raise web.HTTPBadGateway(text=str(problem)) from None
    except NotFound:
        raise web.HTTPNotFound(text=NO_LIBRARY) from None


async def index(request: web.Request) -> web.Response:
    uri = request.query.get("id", "")
    found = await _library(request, uri)
    return page(
        request,
        "library.html",
        library=found,
        subnet_uri=uri,
        back=subnet_href(uri),
        item_href=item_href,
        kind_labels=KIND_LABELS,
        next_href=next_href(uri) if found.next_steps else None,
        discussion_href=discussion_href(uri),
    )


def next_href(subnet_uri: str) -> str:
    return f"/subnet/next?id={quote(subnet_uri, safe='')}"


def discussion_href(subnet_uri: str) -> str:
    """The subnet's posts, past the First Step landing (actors/first_step.py)."""
    return subnet_href(subnet_uri) + "&welcome=done"


async def next_steps(request: web.Request) -> web.Response:
    """A First Step subnet's What happens next page, with its library and the way on."""
    uri = request.query.get("id", "")
    found = await _library(request, uri)
    if found.next_steps is None:
        raise web.HTTPNotFound(text="This subnet has no What happens next page.")
    return page(
        request,
        "first_step_next.html",
        library=found,
        steps=found.next_steps,
        subnet_uri=uri,
        item_href=item_href,
        kind_labels=KIND_LABELS,
        library_href=library_href(uri),
        discussion_href=discussion_href(uri),
    )


async def _item(request: web.Request, uri: str, item_id: str) -> library.Item:
    person = require_person(request)
    ctx = request.app[WEB]
    service = _service(request)
    try:
        if ctx.ids.subnet_slug(uri) is not None:
            async with ctx.db.transaction() as s:
                return await library.read_item(
                    s, ctx.ids, service.keys, person=person, subnet_uri=uri, item_id=item_id
                )
        async with ctx.db.transaction() as s:
            reader = await library.member_uri_of(s, ctx.ids, person, uri)
        return await service.remote.item(uri, item_id, reader)
    except library.LibraryUnavailable as problem:
        raise web.HTTPBadGateway(text=str(problem)) from None
    except NotFound:
        raise web.HTTPNotFound(text=NO_LIBRARY) from None


async def item(request: web.Request) -> web.Response:
    uri, item_id = request.query.get("id", ""), request.query.get("item", "")
    found = await _item(request, uri, item_id)
    return page(
        request,
        "library_item.html",
        item=found,
        html=markdown.render(found.body),
        back=library_href(uri),
        file_href=item_href(uri, found.id, "file"),
        discussion_href=discussion_href(uri),
        kind_label=KIND_LABELS[found.kind],
    )


def _ranged(request: web.Request, body: library.FileBody) -> web.Response:
    """The bytes, or the range of them the request asks for (206), as a file server would."""
    total = len(body.data)
    headers = {"Accept-Ranges": "bytes", "ETag": body.etag} if body.etag else {}
    headers["Accept-Ranges"] = "bytes"
    if "Range" not in request.headers:
        return web.Response(body=body.data, content_type=body.media_type, headers=headers)
    try:
        wanted = request.http_range
    except ValueError:
        wanted = slice(total, total)
    start, stop = wanted.start, wanted.stop
    if start is None and stop is None:
        return web.Response(body=body.data, content_type=body.media_type, headers=headers)
    if start is not None and start < 0:
        start, stop = max(total + start, 0), total
    else:
        start, stop = start or 0, total if stop is None else min(stop, total)
    if start >= total or start >= stop:  # answered, not raised: an error page drops the header
        return web.Response(
            status=416, text="Range Not Satisfiable", headers={"Content-Range": f"bytes */{total}"}
        )
    headers["Content-Range"] = f"bytes {start}-{stop - 1}/{total}"
    return web.Response(
        status=206, body=body.data[start:stop], content_type=body.media_type, headers=headers
    )


async def file(request: web.Request) -> web.StreamResponse:
    """A document or video: from disk here (aiohttp answers Range itself), or through this
    node from a partner's home, ranges answered from the bytes held in RAM."""
    person = require_person(request)
    ctx = request.app[WEB]
    service = _service(request)
    uri, item_id = request.query.get("id", ""), request.query.get("item", "")
    try:
        if ctx.ids.subnet_slug(uri) is not None:
            async with ctx.db.transaction() as s:
                await library.read_item(
                    s, ctx.ids, service.keys, person=person, subnet_uri=uri, item_id=item_id
                )
                found, path = await library.file_path_of(
                    s, ctx.ids, service.files, subnet_uri=uri, item_id=item_id
                )
            return web.FileResponse(
                path,
                headers={
                    "Content-Type": found.media_type or "application/octet-stream",
                    "Content-Disposition": "inline",
                },
            )
        async with ctx.db.transaction() as s:
            reader = await library.member_uri_of(s, ctx.ids, person, uri)
        body = await service.remote.file(uri, item_id, reader)
    except library.LibraryUnavailable as problem:
        raise web.HTTPBadGateway(text=str(problem)) from None
    except NotFound:
        raise web.HTTPNotFound(text=NO_LIBRARY) from None
    return _ranged(request, body)


async def _editable(request: web.Request, uri: str) -> None:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        if not await library.may_edit(s, ctx.ids, person, uri):
            raise web.HTTPForbidden(
                text="Only staff of this subnet's home trust can change its library."
            )


async def _form(request: web.Request, uri: str, status: int = 200, **values: Any) -> web.Response:
    await _editable(request, uri)
    values.setdefault("kind", "page")
    return page(
        request,
        "library_form.html",
        status=status,
        subnet_uri=uri,
        back=library_href(uri),
        kind_labels=KIND_LABELS,
        **values,
    )


async def new_form(request: web.Request) -> web.Response:
    uri = request.query.get("id", "")
    kind = request.query.get("kind", "page")
    return await _form(request, uri, kind=kind if kind in library.KINDS else "page")


async def add_page(request: web.Request) -> web.Response:
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    uri = values.get("subnet", "")
    try:
        async with ctx.db.transaction() as s:
            await library.add_page(
                s,
                ctx.ids,
                person=person,
                subnet_uri=uri,
                section=values.get("section", ""),
                title=values.get("title", ""),
                body=values.get("body", ""),
                now=ctx.clock(),
            )
    except NotFound:
        raise web.HTTPNotFound(text=NO_LIBRARY) from None
    except Invalid as problem:
        return await _form(
            request, uri, 400, errors=every_error(problem, "title"), values=values, kind="page"
        )
    raise done(request, library_href(uri), "saved")


async def attach(request: web.Request) -> web.Response:
    """Staff attach a PDF or video; a file refused for any reason is not kept."""
    person = require_person(request)
    ctx = request.app[WEB]
    service = _service(request)
    uri = request.query.get("id", "")
    await _editable(request, uri)
    try:
        values, received = await read_upload(request, service)
    except library.FileTooLarge as problem:
        return await _form(
            request, uri, 400, errors=every_error(problem, "file"), values={}, kind="document"
        )
    kind = values.get("kind", "")
    try:
        async with ctx.db.transaction() as s:
            await library.add_file(
                s,
                ctx.ids,
                service.files,
                person=person,
                subnet_uri=uri,
                kind=kind,
                section=values.get("section", ""),
                title=values.get("title", ""),
                body=values.get("body", ""),
                received=received,
                now=ctx.clock(),
            )
    except NotPermitted as problem:
        service.discard(received)
        raise web.HTTPForbidden(text=str(problem)) from None
    except Invalid as problem:
        service.discard(received)
        return await _form(
            request,
            uri,
            400,
            errors=every_error(problem, "file"),
            values=values,
            kind=kind if kind in library.FILE_KINDS else "document",
        )
    except BaseException:
        service.discard(received)
        raise
    raise done(request, library_href(uri), "saved")


async def _edit_form(
    request: web.Request, uri: str, item_id: str, status: int = 200, **values: Any
) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            found = await library.item_for_editing(
                s, ctx.ids, person=person, subnet_uri=uri, item_id=item_id
            )
    except NotFound:
        raise web.HTTPNotFound(text=NO_LIBRARY) from None
    values.setdefault(
        "values", {"section": found.section, "title": found.title, "body": found.body}
    )
    return page(
        request,
        "library_edit.html",
        status=status,
        item=found,
        subnet_uri=uri,
        back=library_href(uri),
        kind_label=KIND_LABELS[found.kind],
        **values,
    )


async def edit_form(request: web.Request) -> web.Response:
    return await _edit_form(request, request.query.get("id", ""), request.query.get("item", ""))


async def edit(request: web.Request) -> web.Response:
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    uri, item_id = values.get("subnet", ""), values.get("item", "")
    try:
        async with ctx.db.transaction() as s:
            await library.edit_item(
                s,
                ctx.ids,
                person=person,
                subnet_uri=uri,
                item_id=item_id,
                section=values.get("section", ""),
                title=values.get("title", ""),
                body=values.get("body", ""),
                now=ctx.clock(),
            )
    except NotFound:
        raise web.HTTPNotFound(text=NO_LIBRARY) from None
    except Invalid as problem:
        return await _edit_form(
            request, uri, item_id, 400, errors=every_error(problem, "title"), values=values
        )
    raise done(request, library_href(uri), "saved")


async def change(request: web.Request) -> web.Response:
    """Move an item up or down, or retire it."""
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    uri, item_id, action = values.get("subnet", ""), values.get("item", ""), values.get("action")
    try:
        async with ctx.db.transaction() as s:
            if action == "retire":
                await library.retire_item(
                    s, ctx.ids, person=person, subnet_uri=uri, item_id=item_id, now=ctx.clock()
                )
            else:
                await library.move_item(
                    s,
                    ctx.ids,
                    person=person,
                    subnet_uri=uri,
                    item_id=item_id,
                    direction=action or "",
                    now=ctx.clock(),
                )
    except NotFound:
        raise web.HTTPNotFound(text=NO_LIBRARY) from None
    except Invalid as problem:
        raise web.HTTPBadRequest(text=str(problem)) from None
    raise done(request, library_href(uri) + "#items", "saved")


def register(app: web.Application) -> None:
    app.router.add_get("/subnet/library", index)
    app.router.add_get("/subnet/library/item", item)
    app.router.add_get("/subnet/library/file", file)
    app.router.add_get("/subnet/library/new", new_form)
    app.router.add_post("/subnet/library/new", add_page)
    app.router.add_post("/subnet/library/attach", attach)
    app.router.add_get("/subnet/library/edit", edit_form)
    app.router.add_post("/subnet/library/edit", edit)
    app.router.add_post("/subnet/library/change", change)
    app.router.add_get("/subnet/next", next_steps)
