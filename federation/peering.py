"""Agreeing to federate with another trust's node, and finding subnets hosted on peers.

Adding a peer fetches its instance actor and NodeInfo (both public by design), and pins the
fingerprint of its instance key: from then on that node is on our allowlist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from actors.ids import LocalIds
from federation.keys import fingerprint, load_public_pem
from federation.remote import Directory, UnusableActor, host_of
from storage import peers as store
from storage.engine import Database
from storage.models import Peer, RemoteActor

NODEINFO_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"


class PeeringError(Exception):
    """Why a peer could not be added or a remote subnet found; safe to show an admin."""


def normalise_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise PeeringError(f"{url!r} is not a node's base URL (like https://node.example.nhs.uk)")
    return f"{parts.scheme}://{parts.netloc}"


async def _get_json(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    try:
        async with http.get(
            url,
            headers={"Accept": "application/activity+json, application/json"},
            timeout=aiohttp.ClientTimeout(total=10),
            allow_redirects=False,
        ) as response:
            if response.status != 200:
                raise PeeringError(f"{url} answered {response.status}")
            document = await response.json(content_type=None)
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as error:
        raise PeeringError(f"could not reach {url}: {type(error).__name__}") from None
    if not isinstance(document, dict):
        raise PeeringError(f"{url} did not answer with a JSON object")
    return document


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
    links = await _get_json(http, f"{base}/.well-known/nodeinfo")
    href = next(
        (link.get("href") for link in links.get("links", []) if link.get("rel") == NODEINFO_21),
        None,
    )
    if not isinstance(href, str) or host_of(href) != host_of(base):
        raise PeeringError(f"{base} publishes no NodeInfo 2.1")
    nodeinfo = await _get_json(http, href)
    metadata = nodeinfo.get("metadata") if isinstance(nodeinfo.get("metadata"), dict) else {}
    key = actor.get("publicKey") if isinstance(actor.get("publicKey"), dict) else {}
    endpoints = actor.get("endpoints") if isinstance(actor.get("endpoints"), dict) else {}
    inbox = endpoints.get("sharedInbox") or actor.get("inbox")
    actor_id = actor.get("id")
    if (
        not isinstance(actor_id, str)
        or host_of(actor_id) != host_of(base)
        or not isinstance(inbox, str)
        or host_of(inbox) != host_of(base)
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
        name=str(metadata.get("trustName") or actor.get("name") or host_of(base))[:200],
        instance_actor=actor_id,
        shared_inbox=inbox,
        key_fingerprint=pinned,
        signature_schemes=[x for x in schemes if isinstance(x, str)]
        if isinstance(schemes, list)
        else [],
        added_at=now,
    )
    async with db.transaction() as s:
        return await store.add_peer(s, peer)


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
        uri = next(
            (link.get("href") for link in finger.get("links", []) if link.get("rel") == "self"),
            "",
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
