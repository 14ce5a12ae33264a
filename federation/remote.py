"""Actors on agreed peers: fetching, checking and caching their documents and keys.

A key is trusted only when its actor lives on the host of an agreed peer, its document says it
owns the key, and (for a peer's instance actor) its fingerprint is the one pinned when the
trust's admin agreed the peer. Documents are cached in `remote_actor`; parsed keys are kept in
memory so verifying a signature costs no database round trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from actors.clock import Clock
from actors.ids import LocalIds
from federation.cache import TTLCache
from federation.client import FetchError, SignedClient, preferred_scheme
from federation.jsonld import MalformedDocument, normalise
from federation.keys import ed25519_from_multibase, fingerprint, load_public_pem
from storage import peers as store
from storage.engine import Database
from storage.models import Peer, RemoteActor

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})


class UnusableActor(Exception):
    """The document is not an actor we can use (wrong host, no key, malformed)."""


@dataclass(frozen=True)
class KnownKey:
    key: PublicKey
    owner: str
    algorithm: str | None


def host_of(uri: str) -> str:
    return urlsplit(uri).netloc


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def id_of(value: Any) -> str | None:
    """The id an AS2 property names: a string, an object with an id, or a one-item list."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def parse_actor(document: dict[str, Any], peer: Peer, now_fetched: Any) -> RemoteActor:
    """Turn an actor document from `peer` into a row; UnusableActor if it cannot be trusted."""
    try:
        doc = normalise(document)
    except MalformedDocument as error:
        raise UnusableActor(str(error)) from None
    uri = doc.get("id")
    kind = _first(doc.get("type"))
    if not isinstance(uri, str) or host_of(uri) != peer.host or kind not in ACTOR_TYPES:
        raise UnusableActor("not an actor of that peer")
    key = doc.get("publicKey") if isinstance(doc.get("publicKey"), dict) else None
    ed_id = ed_value = None
    for method in doc.get("assertionMethod") or []:
        if (
            isinstance(method, dict)
            and method.get("type") == "Multikey"
            and method.get("controller") == uri
            and isinstance(method.get("publicKeyMultibase"), str)
        ):
            ed_id, ed_value = method.get("id"), method["publicKeyMultibase"]
            break
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    inbox = id_of(endpoints.get("sharedInbox")) or id_of(doc.get("inbox"))
    if inbox is None or host_of(inbox) != peer.host:
        raise UnusableActor("actor has no inbox on its own host")
    if key is not None and (
        key.get("owner") != uri or not isinstance(key.get("publicKeyPem"), str)
    ):
        key = None
    partners = doc.get("partners") or []
    return RemoteActor(
        uri=uri,
        peer_id=peer.id,
        kind=kind,
        handle=str(doc.get("preferredUsername") or ""),
        name=str(doc.get("name") or doc.get("preferredUsername") or "")[:200],
        inbox=inbox,
        key_id=key.get("id") if key else None,
        public_key_pem=key.get("publicKeyPem") if key else None,
        ed25519_key_id=ed_id,
        ed25519_multibase=ed_value,
        partners=[
            p
            for p in (
                id_of(item) for item in (partners if isinstance(partners, list) else [partners])
            )
            if p
        ],
        posting_policy="staff" if doc.get("postingPolicy") == "staff" else "all",
        premoderation=doc.get("premoderation") is True,
        fetched_at=now_fetched,
    )


@dataclass
class Directory:
    """Finds peers, actors and keys; fetches what it does not have, signed as the instance."""

    db: Database
    client: SignedClient
    ids: LocalIds
    clock: Clock
    keys: TTLCache[KnownKey] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = TTLCache(max_entries=10_000, ttl=timedelta(hours=1), clock=self.clock)

    async def peer_for_host(self, host: str) -> Peer | None:
        async with self.db.transaction() as s:
            return await store.peer_by_host(s, host)

    async def fetch_actor(self, uri: str, peer: Peer) -> RemoteActor:
        """Fetch (signed) and store an actor document of `peer`."""
        try:
            document = await self.client.get_json(
                uri, signer=self.ids.instance, scheme=preferred_scheme(peer.signature_schemes)
            )
        except (FetchError, OSError, TimeoutError) as error:
            raise UnusableActor(f"could not fetch the actor: {error}") from None
        actor = parse_actor(document, peer, self.clock())
        if actor.uri != uri:
            raise UnusableActor("the actor document names another id")
        if (
            uri == peer.instance_actor
            and actor.public_key_pem
            and (fingerprint(load_public_pem(actor.public_key_pem)) != peer.key_fingerprint)
        ):
            raise UnusableActor("the peer's instance key does not match the pinned fingerprint")
        async with self.db.transaction() as s:
            return await store.save_remote_actor(s, actor)

    async def actor(self, uri: str, peer: Peer, *, refresh: bool = False) -> RemoteActor:
        if not refresh:
            async with self.db.transaction() as s:
                cached = await store.remote_actor(s, uri)
            if cached is not None:
                return cached
        return await self.fetch_actor(uri, peer)

    async def key(self, key_id: str, peer: Peer, *, refresh: bool = False) -> KnownKey:
        """The public key named `key_id`, owned by an actor on `peer`'s host."""
        if not refresh:
            known = self.keys.get(key_id)
            if known is not None:
                return known
        owner = urldefrag(key_id).url
        if host_of(owner) != peer.host:
            raise UnusableActor("key is not on the signer's host")
        actor = await self.actor(owner, peer, refresh=refresh)
        known = _key_of(actor, key_id)
        if known is None and not refresh:
            actor = await self.fetch_actor(owner, peer)
            known = _key_of(actor, key_id)
        if known is None:
            raise UnusableActor("the actor does not publish that key")
        self.keys.put(key_id, known)
        return known


def _key_of(actor: RemoteActor, key_id: str) -> KnownKey | None:
    if key_id == actor.key_id and actor.public_key_pem:
        return KnownKey(load_public_pem(actor.public_key_pem), actor.uri, None)
    if key_id == actor.ed25519_key_id and actor.ed25519_multibase:
        return KnownKey(ed25519_from_multibase(actor.ed25519_multibase), actor.uri, "ed25519")
    return None
