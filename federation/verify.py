"""Checking an inbound signed request: who sent it, and may they talk to us at all?

Order matters for clear answers: no or unparseable signature → 401/400; a signer whose host is
not an agreed peer → 403; a signature that does not verify (after refetching the key once, in
case it was rotated) → 401. On success the caller knows the peer and the key's owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from federation.remote import Directory, KnownKey, UnusableActor, host_of
from federation.signatures import (
    InvalidSignature,
    SignatureError,
    SignedRequest,
    parse_request,
    verify,
)
from storage.models import Peer


class RequestRefused(Exception):
    """An inbound request we will not act on; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


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
    """The URL the peer signed: our public base URL plus the path and query it asked for."""
    scheme = urlsplit(base_url).scheme
    return f"{scheme}://{request.host}{request.raw_path}"


async def verify_request(
    request: web.Request, body: bytes | None, directory: Directory, base_url: str
) -> Verified:
    try:
        signed = parse_request(
            request.method,
            request_url(request, base_url),
            request.headers,
            body,
            now=directory.clock(),
        )
    except SignatureError as error:
        raise RequestRefused(getattr(error, "status", 401), f"signature: {error}") from None
    peer = await directory.peer_for_host(host_of(signed.key_id))
    if peer is None or peer.state == "removed":
        raise RequestRefused(403, "this node does not federate with the signer's node")
    for refresh in (False, True):
        try:
            known = await directory.key(signed.key_id, peer, refresh=refresh)
            verify(signed, known.key, algorithm=known.algorithm)
            break
        except InvalidSignature:
            retired = directory.retired.get(signed.key_id)
            if retired is not None and _verifies(signed, retired):
                known = retired
                break
            continue
        except UnusableActor as error:
            if refresh:
                raise RequestRefused(401, f"signature key: {error}") from None
    else:
        raise RequestRefused(401, "signature does not verify")
    wait = directory.limiter.take(peer.id)
    if wait is not None:
        raise RequestRefused(429, "too many requests from your node; slow down", wait)
    return Verified(peer, known.owner)
