"""Pictures across nodes, both ends of a signed GET.

At the post's home (`federation/routes.py`): `GET /posts/{id}/picture` (and `/thumbnail`) answers a
request signed by an agreed peer with the picture's bytes only under the rule of the post's
text — the peer takes part in the post's subnet, and the reader named in `for=` is a member of
it there (`actors.pictures.readable_picture`, audited as a read) — else 404, as if there were
none.

At a partner (`LivePictures`, the `PictureFetcher` the web pages use): the post is resolved as
for its text (`federation/reading.py`: RAM cache or a signed batched fetch), which gives the
picture's URLs on the answering node; the bytes are fetched with a GET signed by our instance
actor for the reader, checked to be the JPEG, PNG or WebP the Note announced (never passed on
as anything else), and held only in a RAM cache bounded in bytes with the text's TTL — never
written to disk. A post its home no longer serves takes its cached picture with it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from actors.clock import Clock
from actors.ids import LocalIds
from actors.picture_files import detected_type
from actors.pictures import PictureBytes
from actors.posts import RefToResolve
from federation.cache import TTLCache
from federation.client import TRANSPORT_ERRORS, FetchError, SignedClient, preferred_scheme
from federation.reading import LiveResolver
from storage import peers as peer_store
from storage.engine import Database

log = logging.getLogger(__name__)
MAX_PICTURE_FETCH = 32 * 1024 * 1024
FETCH_TIME_LIMIT = 10.0


def picture_response(picture: PictureBytes) -> web.Response:
    """A picture's bytes as served to a browser or a peer: its own type, never sniffed, and
    kept by no shared cache."""
    return web.Response(
        body=picture.data,
        content_type=picture.media_type,
        headers={
            "Cache-Control": "private, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )


def weight(picture: PictureBytes) -> int:
    return len(picture.data)


@dataclass
class LivePictures:
    """A partner's pictures of posts stored elsewhere, fetched live (never stored)."""

    db: Database
    ids: LocalIds
    client: SignedClient
    resolver: LiveResolver
    cache: TTLCache[PictureBytes]
    clock: Clock
    time_limit: float = FETCH_TIME_LIMIT

    async def fetch(
        self, ref: RefToResolve, reader_uri: str, thumbnail: bool
    ) -> PictureBytes | None:
        keys = [f"{ref.object_uri} picture", f"{ref.object_uri} thumbnail"]
        key = keys[1] if thumbnail else keys[0]
        content = (await self.resolver.resolve([ref], reader_uri)).get(ref.object_uri)
        if content is None or content.picture is None:
            self.cache.drop_here(keys)
            return None
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        picture = content.picture
        url = picture.thumbnail_url if thumbnail else picture.url
        async with self.db.transaction() as s:
            peer = await peer_store.peer_by_id(s, ref.peer_id)
        if peer is None or peer.state == "removed":
            return None
        try:
            async with asyncio.timeout(self.time_limit):
                response = await self.client.request(
                    "GET",
                    f"{url}?{urlencode({'for': reader_uri})}",
                    None,
                    signer=self.ids.instance,
                    scheme=preferred_scheme(peer.signature_schemes),
                    limit=MAX_PICTURE_FETCH,
                )
        except (*TRANSPORT_ERRORS, FetchError) as error:
            log.info("could not fetch a picture from %s: %s", peer.host, type(error).__name__)
            return None
        if response.status != 200:
            return None
        media_type = await asyncio.to_thread(detected_type, response.body)
        if media_type is None or media_type != picture.media_type:
            log.info("%s served a picture that is not the type it announced", peer.host)
            return None
        found = PictureBytes(media_type, response.body)
        self.cache.put(key, found)
        return found
