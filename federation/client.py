"""Signed outbound HTTP: every request a node makes to a peer goes through `SignedClient`.

The scheme follows what the recipient advertises in NodeInfo (RFC 9421 with Ed25519 between
SHaRON nodes, draft-cavage `rsa-sha256` otherwise); on a 401 the request is sent once more in
the other scheme ("double knock"), as a peer mid-upgrade may understand only one of them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import aiohttp
from yarl import URL

from actors.clock import Clock
from federation.documents import ACTIVITY_JSON
from federation.keys import NodeKeys
from federation.signatures import sign_request

Scheme = Literal["cavage", "rfc9421"]
MAX_RESPONSE = 4 * 1024 * 1024
ACCEPT = f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class FetchError(Exception):
    """A peer did not give us a usable document (status, size, or not JSON)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    retry_after: str | None = None


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

    def _headers(
        self, method: str, url: str, body: bytes | None, signer: str, scheme: Scheme
    ) -> dict[str, str]:
        key_id, key = (
            (f"{signer}#ed25519-key", self.keys.ed25519)
            if scheme == "rfc9421"
            else (f"{signer}#main-key", self.keys.rsa)
        )
        base = {"Accept": ACCEPT} if body is None else {"Content-Type": ACTIVITY_JSON}
        base.update(
            sign_request(
                method,
                url,
                base,
                body,
                key_id=key_id,
                private_key=key,
                scheme=scheme,
                now=self.clock(),
                expires_in=timedelta(minutes=5) if scheme == "rfc9421" else None,
            )
        )
        return base

    async def _send(
        self, method: str, url: str, body: bytes | None, signer: str, scheme: Scheme
    ) -> Response:
        if scheme == "rfc9421":
            headers = self._headers(method, url, body, signer, scheme)
        else:  # RSA signing takes ~0.7 ms and releases the GIL: let another core do it
            headers = await asyncio.to_thread(self._headers, method, url, body, signer, scheme)
        async with self.http.request(
            method,
            URL(url, encoded=True),
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as response:
            data = await response.content.read(MAX_RESPONSE + 1)
            if len(data) > MAX_RESPONSE:
                raise FetchError("response too large", response.status)
            return Response(response.status, data, response.headers.get("Retry-After"))

    async def request(
        self, method: str, url: str, body: bytes | None, *, signer: str, scheme: Scheme
    ) -> Response:
        """Send once; on 401 send once more in the other scheme."""
        response = await self._send(method, url, body, signer, scheme)
        if response.status == 401:
            response = await self._send(method, url, body, signer, other(scheme))
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
        try:
            document = json.loads(response.body)
        except ValueError:
            raise FetchError("response is not JSON", response.status) from None
        if not isinstance(document, dict):
            raise FetchError("response is not a JSON object", response.status)
        return document
