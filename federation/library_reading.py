"""Reading a partner's library live, for one local reader (`actors.library.RemoteLibrary`).

Every read is a signed GET to the subnet's home naming the reader in `for=`; the home checks
that reader and counts the read. The index and pages are small JSON; a file is fetched whole
(up to the node's file limit) and its bytes, like a page's, are kept only in RAM, in a
byte-bounded `TTLCache`, asked for again with `If-None-Match` so an unchanged file is not moved
twice. A home's answer is untrusted: anything not of the expected shape makes the library
"unavailable".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from actors import library
from actors.errors import Invalid, NotFound
from actors.ids import host_of
from actors.library import FileBody, Item, Library
from federation.cache import TTLCache
from federation.client import MAX_RESPONSE, TRANSPORT_ERRORS, SignedClient, preferred_scheme
from storage import peers as peer_store
from storage.engine import Database

log = logging.getLogger(__name__)
TEXT_LIMIT = 200
BODY_LIMIT = 60_000


class _Bad(Exception):
    """The home's answer is not of the shape a SHaRON home sends."""


def _text(value: Any, limit: int = TEXT_LIMIT, *, optional: bool = False) -> str:
    if value is None and optional:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise _Bad("a text field is missing or too long")
    return value


def _item(value: Any, *, body: bool) -> Item:
    if not isinstance(value, dict):
        raise _Bad("an item is not an object")
    kind = value.get("kind")
    if kind not in library.KINDS:
        raise _Bad("an item's kind is unknown")
    media_type = value.get("mediaType")
    if media_type not in (None, library.PDF, library.MP4, library.WEBM):
        raise _Bad("an item's media type is not one we serve")
    size = value.get("size")
    item_id = _text(value.get("id"), 32)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or not item_id.isalnum():
        raise _Bad("an item's id or size is not right")
    return Item(
        id=item_id,
        kind=kind,
        section=_text(value.get("section"), optional=True),
        title=_text(value.get("title")),
        body=_text(value.get("body"), BODY_LIMIT) if body else "",
        media_type=media_type,
        size=size,
    )


def parse_library(document: Mapping[str, Any], subnet_uri: str) -> Library:
    if document.get("type") != "SharonLibrary" or document.get("subnet") != subnet_uri:
        raise _Bad("not this subnet's library")
    items = document.get("items")
    if not isinstance(items, list) or len(items) > 1000:
        raise _Bad("items is not a list")
    steps = document.get("nextSteps")
    next_steps = None
    if steps is not None:
        if not isinstance(steps, dict):
            raise _Bad("nextSteps is not an object")
        next_steps = library.NextSteps(
            *(
                _text(steps.get(name), 4000, optional=True)
                for name in ("service", "address", "whatToExpect", "expectedWait")
            )
        )
    return Library(
        subnet_uri,
        _text(document.get("name")),
        False,
        tuple(_item(value, body=False) for value in items),
        next_steps,
    )


@dataclass(frozen=True)
class Held:
    """A library page or file from its home, with the home's validator (ETag): every read
    still asks the home, which checks the reader and counts the read, and answers 304 while
    these bytes are still right — so only the first reader's fetch moves them."""

    etag: str
    media_type: str
    data: bytes


def weigh_held(held: Held) -> int:
    return len(held.data)


@dataclass
class LiveLibrary:
    db: Database
    client: SignedClient
    cache: TTLCache[Held]  # bounded in bytes (`weigh_held`); RAM only
    signer: str
    file_limit: int

    async def _scheme(self, subnet_uri: str) -> Any:
        async with self.db.transaction() as s:
            group = await peer_store.remote_actor(s, subnet_uri)
            home = await peer_store.peer_by_id(s, group.peer_id) if group else None
        if group is None or group.kind != "Group" or home is None or home.state == "removed":
            raise NotFound("That library is not known here.")
        if host_of(subnet_uri) != home.host:
            raise NotFound("That library is not known here.")
        return preferred_scheme(home.signature_schemes)

    async def _get(
        self, subnet_uri: str, path: str, reader_uri: str, *, cached: Held | None, limit: int
    ) -> tuple[int, bytes, Mapping[str, str]]:
        url = f"{subnet_uri}/library{path}?for={quote(reader_uri, safe='')}"
        headers = {"If-None-Match": cached.etag} if cached is not None else {}
        try:
            response = await self.client.request(
                "GET",
                url,
                None,
                signer=self.signer,
                scheme=await self._scheme(subnet_uri),
                headers=headers,
                limit=limit,
            )
        except TRANSPORT_ERRORS as error:
            log.info("could not read a library from %s: %s", host_of(url), type(error).__name__)
            raise library.LibraryUnavailable("The library could not be loaded just now.") from None
        if response.status == 404:
            raise NotFound("There is no such item in this library.")
        if response.status not in (200, 304) or (response.status == 304 and cached is None):
            raise library.LibraryUnavailable("The library could not be loaded just now.")
        return response.status, response.body, response.headers

    def _json(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except ValueError:
            raise library.LibraryUnavailable("The library could not be loaded just now.") from None

    async def library(self, subnet_uri: str, reader_uri: str) -> Library:
        _, body, _ = await self._get(subnet_uri, "", reader_uri, cached=None, limit=MAX_RESPONSE)
        document = self._json(body)
        try:
            if not isinstance(document, dict):
                raise _Bad("not an object")
            return parse_library(document, subnet_uri)
        except _Bad as error:
            log.info("a library answer was not usable: %s", error)
            raise library.LibraryUnavailable("The library could not be loaded just now.") from None

    async def item(self, subnet_uri: str, item_id: str, reader_uri: str) -> Item:
        if not item_id.isalnum():
            raise NotFound("There is no such item in this library.")
        key = f"item {subnet_uri} {item_id}"
        cached = self.cache.get(key)
        status, body, headers = await self._get(
            subnet_uri, f"/{item_id}", reader_uri, cached=cached, limit=MAX_RESPONSE
        )
        if status == 304 and cached is not None:
            body = cached.data
        document = self._json(body)
        try:
            found = _item(document, body=True)
        except _Bad as error:
            log.info("a library item was not usable: %s", error)
            raise library.LibraryUnavailable("The library could not be loaded just now.") from None
        if found.id != item_id:
            raise library.LibraryUnavailable("The library could not be loaded just now.")
        etag = headers.get("ETag")
        if status == 200 and etag:
            self.cache.put(key, Held(etag, "application/json", body))
        return found

    async def file(self, subnet_uri: str, item_id: str, reader_uri: str) -> FileBody:
        if not item_id.isalnum():
            raise NotFound("There is no such item in this library.")
        key = f"file {subnet_uri} {item_id}"
        cached = self.cache.get(key)
        status, body, headers = await self._get(
            subnet_uri, f"/{item_id}/file", reader_uri, cached=cached, limit=self.file_limit
        )
        if status == 304 and cached is not None:
            return FileBody(cached.data, cached.media_type, cached.etag)
        media_type = headers.get("Content-Type", "").split(";")[0].strip()
        kind = "document" if media_type == library.PDF else "video"
        try:  # the home's bytes are held to the rules its staff's uploads met
            sniffed = library.sniffed_type(kind, body[:64])
        except Invalid:
            sniffed = None
        if media_type not in (library.PDF, library.MP4, library.WEBM) or sniffed != media_type:
            raise library.LibraryUnavailable("The file could not be loaded just now.")
        etag = headers.get("ETag", "")
        if etag:
            self.cache.put(key, Held(etag, media_type, body))
        return FileBody(body, media_type, etag)
