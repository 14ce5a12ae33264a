"""Outbound HTTP to peers, and the one way a peer's answer is read and parsed.

Every request a node makes to a peer goes through `SignedClient` (or, for the public documents
read before a peer is agreed, `get_public_json`). The scheme follows what the recipient
advertises in NodeInfo (RFC 9421 with Ed25519 between SHaRON nodes, draft-cavage `rsa-sha256`
otherwise); on a 401 the request is sent once more in the other scheme ("double knock").

A peer's answer is untrusted input. `read_body` reads it whole (aiohttp's `read(n)` returns
what has arrived so far, not n bytes) but never past a limit, within the client's time limit;
`parse_document` turns it into a bounded JSON object or raises `FetchError` — whatever the
bytes are (malformed, nested 30,000 deep, NaN, not an object). Callers catch `FetchError`
(and the transport errors in `TRANSPORT_ERRORS`) and nothing else.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import aiohttp
from yarl import URL

from actors.clock import Clock
from federation.documents import ACTIVITY_JSON
from federation.errors import FederationError
from federation.jsonld import MalformedDocument, check_shape
from federation.keys import NodeKeys
from federation.signatures import SignatureToMake, prepare_signature

Scheme = Literal["cavage", "rfc9421"]
MAX_RESPONSE = 4 * 1024 * 1024
ACCEPT = f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class FetchError(FederationError):
    """A peer did not give us a usable document (status, size, time, or not bounded JSON)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BodyTooLarge(Exception):
    """A body went past its limit; nothing of it is used."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body is larger than {limit} bytes")
        self.limit = limit


TRANSPORT_ERRORS = (FetchError, aiohttp.ClientError, OSError, TimeoutError)
"""What a request to a peer can raise: callers catch these, and only these."""


async def read_body(stream: aiohttp.StreamReader, limit: int) -> bytes:
    """The whole body, however it is chunked; BodyTooLarge as soon as it passes `limit`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("a key is given twice")
    return document


def parse_document(body: bytes, status: int | None = None) -> dict[str, Any]:
    """A peer's answer as a JSON object nested at most `MAX_DEPTH` deep, of text that can be
    shown (no lone surrogates), with no key given twice and no NaN; FetchError otherwise."""
    try:
        document = json.loads(body, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise FetchError("the answer is not JSON", status) from None
    try:
        shaped = check_shape(document)
    except MalformedDocument as error:
        raise FetchError(f"the answer is not a usable JSON object: {error}", status) from None
    try:
        json.dumps(shaped, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise FetchError("the answer holds text that is not Unicode", status) from None
    return shaped


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    retry_after: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = ""


def other(scheme: Scheme) -> Scheme:
    return "cavage" if scheme == "rfc9421" else "rfc9421"


def preferred_scheme(advertised: Sequence[str]) -> Scheme:
    return "rfc9421" if "rfc9421" in advertised else "cavage"


@dataclass
class SignedClient:
    """Sends signed requests as any local actor (the node holds every local actor's keys)."""

    http: aiohttp.ClientSession
    keys: NodeKeys
    clock: Clock
    timeout: float = 10.0

    def _to_make(
        self, method: str, url: str, body: bytes | None, signer: str, scheme: Scheme
    ) -> SignatureToMake:
        key_id, key = (
            (f"{signer}#ed25519-key", self.keys.ed25519)
            if scheme == "rfc9421"
            else (f"{signer}#main-key", self.keys.rsa)
        )
        return prepare_signature(
            method,
            url,
            {},
            body,
            key_id=key_id,
            private_key=key,
            scheme=scheme,
            now=self.clock(),
            expires_in=timedelta(minutes=5) if scheme == "rfc9421" else None,
        )

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        signer: str,
        scheme: Scheme,
        extra: Mapping[str, str] | None = None,
        limit: int = MAX_RESPONSE,
    ) -> Response:
        to_make = self._to_make(method, url, body, signer, scheme)
        if scheme == "rfc9421":  # Ed25519: some 25 µs
            signature = to_make.signature()
        else:  # RSA takes ~0.25 ms and releases the GIL: only that goes to another core
            signature = await asyncio.to_thread(to_make.signature)
        headers = {
            **({"Accept": ACCEPT} if body is None else {"Content-Type": ACTIVITY_JSON}),
            **to_make.signed(signature),
            **(extra or {}),  # unsigned validators (If-None-Match)
        }
        async with self.http.request(
            method,
            URL(url, encoded=True),
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as response:
            try:
                data = await read_body(response.content, limit)
            except BodyTooLarge:
                raise FetchError("response too large", response.status) from None
            return Response(
                response.status,
                data,
                response.headers.get("Retry-After"),
                response.headers,
                response.content_type,
            )

    async def request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        *,
        signer: str,
        scheme: Scheme,
        headers: Mapping[str, str] | None = None,
        limit: int = MAX_RESPONSE,
    ) -> Response:
        """Send once; on 401 send once more in the other scheme. `headers` are sent unsigned
        beside the signed ones; a body past `limit` raises FetchError."""
        response = await self._send(method, url, body, signer, scheme, headers, limit)
        if response.status == 401:
            response = await self._send(method, url, body, signer, other(scheme), headers, limit)
        return response

    async def post(
        self, url: str, document: dict[str, Any], *, signer: str, scheme: Scheme
    ) -> Response:
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        return await self.request("POST", url, body, signer=signer, scheme=scheme)

    async def get_json(self, url: str, *, signer: str, scheme: Scheme) -> dict[str, Any]:
        """A signed GET that must answer 200 with a JSON object."""
        response = await self.request("GET", url, None, signer=signer, scheme=scheme)
        if response.status != 200:
            raise FetchError(f"GET answered {response.status}", response.status)
        return parse_document(response.body, response.status)


PUBLIC_TIMEOUT = 10.0


async def get_public_json(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """An unsigned GET of a public document (actor, NodeInfo, WebFinger) that must answer 200
    with a bounded JSON object; FetchError for anything else, transport errors included."""
    try:
        async with http.get(
            URL(url, encoded=True),
            headers={"Accept": f"{ACTIVITY_JSON}, application/jrd+json, application/json"},
            timeout=aiohttp.ClientTimeout(total=PUBLIC_TIMEOUT),
            allow_redirects=False,
        ) as response:
            if response.status != 200:
                raise FetchError(f"{url} answered {response.status}", response.status)
            try:
                body = await read_body(response.content, MAX_RESPONSE)
            except BodyTooLarge:
                raise FetchError(f"{url} answered with too large a body") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise FetchError(f"could not reach {url}: {type(error).__name__}") from None
    return parse_document(body, 200)
