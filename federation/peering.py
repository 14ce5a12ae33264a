"""Agreeing to federate with another trust's node, and finding subnets hosted on peers.

Adding a peer fetches its instance actor and NodeInfo (both public by design), and pins the
fingerprint of its instance key: from then on that node is on our allowlist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from actors.ids import LocalIds, host_of
from federation.client import FetchError, get_public_json
from federation.errors import FederationError
from federation.keys import fingerprint, load_public_pem
from federation.remote import Directory, UnusableActor, foreign_id, object_at
from storage import audit
from storage import peers as store
from storage.engine import Database
from storage.models import Peer, RemoteActor

NODEINFO_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"


class PeeringError(FederationError):
    """Why a peer could not be added or a remote subnet found; safe to show an admin."""


def normalise_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise PeeringError(f"{url!r} is not a node's base URL (like https://node.example.nhs.uk)")
    return f"{parts.scheme}://{parts.netloc}"


async def _get_json(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    try:
        return await get_public_json(http, url)
    except FetchError as error:
        raise PeeringError(str(error)) from None


def _link(document: dict[str, Any], rel: str, key: str) -> str | None:
    """The `key` of the first link with `rel` in a WebFinger or NodeInfo document, if text."""
    links = document.get("links")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("rel") == rel:
            value = link.get(key)
            return value if isinstance(value, str) else None
    return None


async def add_peer(
    db: Database, http: aiohttp.ClientSession, ids: LocalIds, url: str, now: datetime
) -> Peer:
    base = normalise_url(url)
    if base == ids.base:
        raise PeeringError("a node cannot peer with itself")
    async with db.transaction() as s:
        if await store.peer_by_url(s, base) is not None:
            raise PeeringError(f"{base} is already a peer")
    actor = await _get_json(http, f"{base}/actor")
    foreign = foreign_id(actor, host_of(base))
    if foreign is not None:
        raise PeeringError(f"{base}/actor speaks for another host ({foreign}); not added")
    links = await _get_json(http, f"{base}/.well-known/nodeinfo")
    href = _link(links, NODEINFO_21, "href")
    if href is not None and host_of(href) != host_of(base):
        raise PeeringError(f"{base} points its NodeInfo at another host ({host_of(href)})")
    if href is None:
        raise PeeringError(f"{base} publishes no NodeInfo 2.1")
    nodeinfo = await _get_json(http, href)
    metadata = object_at(nodeinfo, "metadata")
    named = metadata.get("instanceActor")
    if named is not None and named != actor.get("id"):
        raise PeeringError(f"{base}'s NodeInfo names another instance actor; not added")
    key, endpoints = object_at(actor, "publicKey"), object_at(actor, "endpoints")
    inbox = endpoints.get("sharedInbox") or actor.get("inbox")
    actor_id = actor.get("id")
    if (
        not isinstance(actor_id, str)
        or not isinstance(inbox, str)
        or not isinstance(key.get("publicKeyPem"), str)
    ):
        raise PeeringError(f"{base} does not publish a usable instance actor")
    try:
        pinned = fingerprint(load_public_pem(key["publicKeyPem"]))
    except ValueError:
        raise PeeringError(f"{base} publishes an unreadable key") from None
    schemes = metadata.get("signatureSchemes")
    peer = Peer(
        url=base,
        host=host_of(base),
        name=next(
            (n for n in (metadata.get("trustName"), actor.get("name")) if isinstance(n, str) and n),
            host_of(base),
        )[:200],
        instance_actor=actor_id,
        shared_inbox=inbox,
        key_fingerprint=pinned,
        signature_schemes=[x for x in schemes if isinstance(x, str)]
        if isinstance(schemes, list)
        else [],
        added_at=now,
    )
    async with db.transaction() as s:
        added = await store.add_peer(s, peer)
        await audit.record(s, at=now, who="cli", action="peer.added", target=base)
        return added


async def find_remote_subnet(
    db: Database, http: aiohttp.ClientSession, directory: Directory, address: str
) -> RemoteActor:
    """A subnet on a peer, by its URI or its handle (`slug@host`); it must be shared with us."""
    if address.startswith(("http://", "https://")):
        uri = address
    else:
        slug, _, host = address.removeprefix("@").partition("@")
        async with db.transaction() as s:
            peer = await store.peer_by_host(s, host)
        if not slug or peer is None:
            raise PeeringError(f"{address!r} is not a subnet on an agreed peer")
        finger = await _get_json(
            http, f"{peer.url}/.well-known/webfinger?resource=acct:{slug}@{host}"
        )
        uri = _link(finger, "self", "href") or ""
        if host_of(uri) != host:
            raise PeeringError(
                f"{host} answered for {address!r} with an id on another host"
                f" ({host_of(uri) or 'none'}); not followed"
            )
    peer = await directory.peer_for_host(host_of(uri))
    if peer is None:
        raise PeeringError(f"{host_of(uri)} is not an agreed peer")
    try:
        group = await directory.fetch_actor(uri, peer)
    except UnusableActor as error:
        raise PeeringError(f"that subnet is not shared with this node ({error})") from None
    if group.kind != "Group":
        raise PeeringError("that address is not a subnet")
    return group
