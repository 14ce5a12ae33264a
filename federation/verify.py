"""Checking an inbound signed request: who sent it, and may they talk to us at all?

Order matters for clear answers: no or unparseable signature → 401/400; a signer whose host is
not an agreed peer → 403; a signature that does not verify (after refetching the key once, in
case it was rotated) → 401. On success the caller knows the peer and the key's owner. Keys are
found through an injected `KeyResolver` (federation.remote.Directory in the node; a test may
pass its own), as bovine's `SignatureChecker` takes a key retriever; how much a verified peer
may ask of us is federation/limits.py's business, after this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from aiohttp import web

from actors.ids import host_of
from federation.errors import RequestRefused
from federation.remote import KnownKey, UnusableActor
from federation.signatures import (
    InvalidSignature,
    SignatureError,
    SignedRequest,
    parse_request,
    verify,
)
from storage.models import Peer


class KeyResolver(Protocol):
    """Finds the agreed peer behind a signer's host and the key a `keyId` names."""

    async def peer_for_host(self, host: str) -> Peer | None: ...

    async def key(self, key_id: str, peer: Peer, *, refresh: bool = False) -> KnownKey:
        """The key (refetched when `refresh`); UnusableActor if it cannot be had."""
        ...

    def retired_key(self, key_id: str) -> KnownKey | None:
        """A key replaced lately, still honoured for a grace period."""
        ...


@dataclass(frozen=True)
class Verified:
    peer: Peer
    signer: str


def _verifies(signed: SignedRequest, known: KnownKey) -> bool:
    try:
        verify(signed, known.key, algorithm=known.algorithm)
    except InvalidSignature:
        return False
    return True


def request_url(request: web.Request, base_url: str) -> str:
    """The URL the peer must have signed: our configured public base URL (scheme, host, port)
    plus the path and query it asked for — never the client's `Host` header, which a replayer
    chooses. Every derived component (`@target-uri`, `@authority`, `@scheme`, `@path`,
    `@query`, `@request-target`, cavage `(request-target)`) is built from this URL."""
    base = urlsplit(base_url)
    return f"{base.scheme}://{base.netloc}{request.raw_path}"


def _authority(url: str) -> str | None:
    """`host[:port]` of a URL, lowercase, the scheme's default port left out (RFC 9421 §2.2.3)."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if port is None or port == default else f"{host}:{port}"


def check_signed_host(signed: SignedRequest, headers: Mapping[str, str], base_url: str) -> None:
    """A covered `Host` header (cavage `host`, or an RFC 9421 `host` field) must name this node:
    a request signed for another node and replayed here with its `Host` is not ours to honour."""
    if "host" not in signed.covered:
        return
    scheme = urlsplit(base_url).scheme
    if _authority(f"{scheme}://{headers.get('Host', '')}") != _authority(base_url):
        raise RequestRefused(401, "signature: the request was signed for another host")


async def verify_request(
    request: web.Request, body: bytes | None, keys: KeyResolver, base_url: str, *, now: datetime
) -> Verified:
    try:
        signed = parse_request(
            request.method, request_url(request, base_url), request.headers, body, now=now
        )
    except SignatureError as error:
        raise RequestRefused(getattr(error, "status", 401), f"signature: {error}") from None
    check_signed_host(signed, request.headers, base_url)
    peer = await keys.peer_for_host(host_of(signed.key_id))
    if peer is None or peer.state == "removed":
        raise RequestRefused(403, "this node does not federate with the signer's node")
    for refresh in (False, True):
        try:
            known = await keys.key(signed.key_id, peer, refresh=refresh)
            verify(signed, known.key, algorithm=known.algorithm)
            break
        except InvalidSignature:
            retired = keys.retired_key(signed.key_id)
            if retired is not None and _verifies(signed, retired):
                known = retired
                break
            continue
        except UnusableActor as error:
            if refresh:
                raise RequestRefused(401, f"signature key: {error}") from None
    else:
        raise RequestRefused(401, "signature does not verify")
    return Verified(peer, known.owner)
