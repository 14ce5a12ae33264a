"""The home's side of a shared library: what a partner's reader may read, served live.

A partner node asks with a signed GET naming its reader in `for=` (as for posts,
federation/routes.py); the home answers only when that reader is an active member of the
subnet on the asking node and the subnet is shared with it, else 404 as if nothing existed.
Each item or file served counts as read by that reader (actors/library.py). Files are served
from disk with aiohttp's `FileResponse`, which answers `If-None-Match` with 304 (the partner
then serves the bytes it holds in RAM) and `Range` with 206.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from actors import library
from actors.errors import NotFound
from actors.ids import LocalIds
from federation.errors import RequestRefused
from federation.limits import admit
from federation.remote import Directory
from federation.verify import verify_request
from storage.engine import Database
from storage.library_files import LibraryFiles

LIBRARY_JSON = "application/json"


def item_document(item: library.Item, *, body: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind,
        "section": item.section,
        "title": item.title,
        "mediaType": item.media_type,
        "size": item.size,
    }
    if body:
        document["body"] = item.body
    return document


def library_document(found: library.Library) -> dict[str, Any]:
    steps = found.next_steps
    return {
        "type": "SharonLibrary",
        "subnet": found.subnet_uri,
        "name": found.name,
        "items": [item_document(item, body=False) for item in found.items],
        "nextSteps": None
        if steps is None
        else {
            "service": steps.service,
            "address": steps.address,
            "whatToExpect": steps.what_to_expect,
            "expectedWait": steps.expected_wait,
        },
    }


def _json(document: dict[str, Any], etag: str | None = None) -> web.Response:
    response = web.Response(
        body=json.dumps(document, ensure_ascii=False).encode(), content_type=LIBRARY_JSON
    )
    if etag:
        response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-store"
    return response


@dataclass
class LibraryRoutes:
    db: Database
    ids: LocalIds
    directory: Directory
    files: LibraryFiles
    keys: library.ReaderKeys

    def register(self, app: web.Application) -> None:
        app.router.add_get("/subnets/{slug}/library", self.index)
        app.router.add_get("/subnets/{slug}/library/{item}", self.item)
        app.router.add_get("/subnets/{slug}/library/{item}/file", self.file)

    async def _reader(self, request: web.Request) -> tuple[str, str]:
        """(subnet URI, reader URI) once the request is signed by a partner that may have this
        library read by the reader it names; 404 otherwise."""
        try:
            verified = await verify_request(
                request, None, self.directory, self.ids.base, now=self.directory.clock()
            )
            admit(self.directory.limiter, verified.peer)
        except RequestRefused as refused:
            kind = {400: web.HTTPBadRequest, 403: web.HTTPForbidden, 429: web.HTTPTooManyRequests}
            refusal = kind.get(refused.status, web.HTTPUnauthorized)
            raise refusal(text=str(refused), headers=refused.headers) from None
        reader = request.query.get("for", "")
        try:
            async with self.db.transaction() as s:
                uri = await library.peer_reader_may_read(
                    s,
                    self.ids,
                    slug=request.match_info["slug"],
                    peer=verified.peer,
                    reader_uri=reader,
                )
        except NotFound:
            raise web.HTTPNotFound(text="no such library") from None
        return uri, reader

    async def index(self, request: web.Request) -> web.Response:
        await self._reader(request)
        async with self.db.transaction() as s:
            found = await library.served_library(s, self.ids, slug=request.match_info["slug"])
        return _json(library_document(found))

    async def item(self, request: web.Request) -> web.Response:
        uri, reader = await self._reader(request)
        try:
            async with self.db.transaction() as s:
                found = await library.served_item(
                    s,
                    self.ids,
                    self.keys,
                    subnet_uri=uri,
                    item_id=request.match_info["item"],
                    reader=reader,
                )
        except NotFound:
            raise web.HTTPNotFound(text="no such item") from None
        if found.etag and request.headers.get("If-None-Match") == found.etag:
            raise web.HTTPNotModified(headers={"ETag": found.etag})
        return _json(item_document(found, body=True), found.etag)

    async def file(self, request: web.Request) -> web.StreamResponse:
        uri, reader = await self._reader(request)
        try:
            async with self.db.transaction() as s:
                found, path = await library.file_path_of(
                    s, self.ids, self.files, subnet_uri=uri, item_id=request.match_info["item"]
                )
                await library.served_item(
                    s, self.ids, self.keys, subnet_uri=uri, item_id=found.id, reader=reader
                )
        except NotFound:
            raise web.HTTPNotFound(text="no such file") from None
        return web.FileResponse(
            path, headers={"Content-Type": found.media_type or "application/octet-stream"}
        )
