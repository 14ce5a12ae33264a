"""Actors on agreed peers: fetching, checking and caching their documents and keys.

A key is trusted only when its actor lives on the host of an agreed peer, its document says it
owns the key, and (for a peer's instance actor) its fingerprint is the one pinned when the
trust's admin agreed the peer. Documents are cached in `remote_actor`; parsed keys are kept in
memory so verifying a signature costs no database round trip.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from actors import numbers
from actors.clock import Clock
from actors.ids import LocalIds, host_of
from actors.text import TextRefused, line_text
from federation.cache import TTLCache
from federation.client import TRANSPORT_ERRORS, FetchError, SignedClient, preferred_scheme
from federation.errors import FederationError
from federation.jsonld import MalformedDocument, normalise
from federation.keys import ed25519_from_multibase, fingerprint, load_public_pem
from federation.limits import PeerRateLimiter
from storage import peers as store
from storage.engine import Database
from storage.models import Peer, RemoteActor

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
RETIRED_KEY_GRACE = timedelta(days=7)
ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})


class UnusableActor(FederationError):
    """The document is not an actor we can use (wrong host, no key, malformed)."""


@dataclass(frozen=True)
class KnownKey:
    key: PublicKey
    owner: str
    algorithm: str | None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def object_at(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The JSON object a property holds; an empty one when it holds anything else."""
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def id_of(value: Any) -> str | None:
    """The id an AS2 property names: a string, an object with an id, or a one-item list."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def foreign_id(doc: dict[str, Any], host: str) -> str | None:
    """The first property by which a document served by `host` speaks for another host: its
    own id, inbox, outbox, followers, shared inbox or key ids. A peer speaks only for itself."""
    key, endpoints = object_at(doc, "publicKey"), object_at(doc, "endpoints")
    named: list[tuple[str, Any]] = [
        ("id", doc.get("id")),
        ("inbox", doc.get("inbox")),
        ("outbox", doc.get("outbox")),
        ("followers", doc.get("followers")),
        ("sharedInbox", endpoints.get("sharedInbox")),
        ("publicKey.id", key.get("id")),
        ("publicKey.owner", key.get("owner")),
    ]
    methods = doc.get("assertionMethod")
    for method in methods if isinstance(methods, list) else [methods]:
        if isinstance(method, dict):
            named += [("assertionMethod.id", method.get("id"))]
            named += [("assertionMethod.controller", method.get("controller"))]
    for name, value in named:
        uri = id_of(value)
        if uri is not None and host_of(uri) != host:
            return f"{name} {host_of(uri) or uri!r}"
    return None


def parse_actor(document: dict[str, Any], peer: Peer, now_fetched: Any) -> RemoteActor:
    """Turn an actor document from `peer` into a row; UnusableActor if it cannot be trusted."""
    try:
        doc = normalise(document)
    except MalformedDocument as error:
        raise UnusableActor(str(error)) from None
    uri = doc.get("id")
    kind = _first(doc.get("type"))
    foreign = foreign_id(doc, peer.host)
    if foreign is not None:
        raise UnusableActor(
            f"{peer.host} served a document that speaks for another host ({foreign})"
        )
    if not isinstance(uri, str) or kind not in ACTOR_TYPES:
        raise UnusableActor("not an actor of that peer")
    key = doc.get("publicKey") if isinstance(doc.get("publicKey"), dict) else None
    ed_id = ed_value = None
    for method in doc.get("assertionMethod") or []:
        if (
            isinstance(method, dict)
            and method.get("type") == "Multikey"
            and method.get("controller") == uri
            and isinstance(method.get("id"), str)
            and isinstance(method.get("publicKeyMultibase"), str)
        ):
            ed_id, ed_value = method["id"], method["publicKeyMultibase"]
            break
    endpoints = object_at(doc, "endpoints")
    inbox = id_of(endpoints.get("sharedInbox")) or id_of(doc.get("inbox"))
    if inbox is None:
        raise UnusableActor("actor has no inbox on its own host")
    if key is not None and (
        key.get("owner") != uri
        or not isinstance(key.get("id"), str)
        or not isinstance(key.get("publicKeyPem"), str)
    ):
        key = None
    partners = doc.get("partners") or []
    return RemoteActor(
        uri=uri,
        peer_id=peer.id,
        kind=kind,
        handle=str(doc.get("preferredUsername") or "")[:255],
        name=_text(doc.get("name")) or _text(doc.get("preferredUsername")),
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
        numbers=_numbers_setting(doc.get("numbers")),
        audience="under_18" if doc.get("ageGroup") == "under_18" else "adults",
        hold_concern=doc.get("holdConcern") is True,
        subnet_kind="learning" if doc.get("subnetKind") == "learning" else "support",
        fetched_at=now_fetched,
    )


def _numbers_setting(value: Any) -> str:
    """A Group's `numbers`: shown when a (older) node publishes none; a value we do not know is
    read as masked, so a stricter setting from a newer node is never shown in full here."""
    if value is None:
        return "shown"
    return value if value in numbers.SETTINGS else "masked"


def _text(value: Any) -> str:
    """A name from a peer, held to our own text rules (actors/text.py), else UnusableActor."""
    if not isinstance(value, str):
        return ""
    try:
        return line_text(value, "A name")[:200]
    except TextRefused:
        raise UnusableActor("a name holds control or direction-override characters") from None


PEERS_STAMP = "peers.changed"


def peers_changed(data_dir: Path) -> None:
    """Tell a running node that its peers changed (`sharon peer add|remove` runs apart)."""
    (data_dir / PEERS_STAMP).touch()


@dataclass
class PeerTable:
    """Agreed peers by host, held in memory and re-read when they may have changed.

    Every signed request asks "is the signer's host an agreed peer?"; asking the database each
    time was the inbox's largest cost. Peers are few (tens), so the whole table is held. It is
    re-read when the data directory's `peers.changed` stamp moves (the CLI touches it, so a
    removed peer is refused from its next request on), when this process calls `forget()`, and
    at least every `max_age` seconds. `forget()` also calls `on_forget`, which tells every
    other process of the node to re-read (node/shared.py); they do so with `forget_here()`.
    """

    db: Database
    stamp: Path | None = None
    max_age: float = 5.0
    monotonic: Callable[[], float] = time.monotonic
    on_forget: Callable[[], None] | None = None
    _by_host: dict[str, Peer] = field(default_factory=dict)
    _by_id: dict[str, Peer] = field(default_factory=dict)
    _loaded_at: float | None = None
    _stamp_seen: int | None = None

    async def by_host(self, host: str) -> Peer | None:
        await self._fresh()
        return self._by_host.get(host)

    async def by_id(self, peer_id: str) -> Peer | None:
        await self._fresh()
        return self._by_id.get(peer_id)

    def forget(self) -> None:
        self.forget_here()
        if self.on_forget is not None:
            self.on_forget()

    def forget_here(self) -> None:
        self._loaded_at = None

    def _stamp(self) -> int | None:
        try:
            return self.stamp.stat().st_mtime_ns if self.stamp is not None else None
        except FileNotFoundError:
            return None

    async def _fresh(self) -> None:
        stamp = self._stamp()
        if (
            self._loaded_at is not None
            and stamp == self._stamp_seen
            and self.monotonic() - self._loaded_at < self.max_age
        ):
            return
        started = self.monotonic()
        async with self.db.reading() as s:
            peers = [peer for peer in await store.list_peers(s) if peer.state != "removed"]
        self._by_host = {peer.host: peer for peer in peers}
        self._by_id = {peer.id: peer for peer in peers}
        self._loaded_at, self._stamp_seen = started, stamp


@dataclass
class Directory:
    """Finds peers, actors and keys; fetches what it does not have, signed as the instance."""

    db: Database
    client: SignedClient
    ids: LocalIds
    clock: Clock
    limiter: PeerRateLimiter = field(default_factory=lambda: PeerRateLimiter(50.0, 500))
    data_dir: Path | None = None
    keys: TTLCache[KnownKey] = field(init=False)
    retired: TTLCache[KnownKey] = field(init=False)
    peers: PeerTable = field(init=False)

    def __post_init__(self) -> None:
        self.keys = TTLCache(max_entries=10_000, ttl=timedelta(hours=1), clock=self.clock)
        self.retired = TTLCache(max_entries=10_000, ttl=RETIRED_KEY_GRACE, clock=self.clock)
        self.peers = PeerTable(self.db, self.data_dir / PEERS_STAMP if self.data_dir else None)

    def retire(self, actor: RemoteActor) -> None:
        """An actor's keys were replaced (an `Update`): its old keys still verify for a grace
        period, so requests signed before the peer's node restarted are not refused."""
        for key_id in (actor.key_id, actor.ed25519_key_id):
            old = _key_of(actor, key_id) if key_id else None
            if key_id and old is not None:
                self.retired.put(key_id, old)
        self.keys.drop([key for key in (actor.key_id, actor.ed25519_key_id) if key])

    def retired_key(self, key_id: str) -> KnownKey | None:
        return self.retired.get(key_id)

    async def peer_for_host(self, host: str) -> Peer | None:
        return await self.peers.by_host(host)

    async def fetch_actor(self, uri: str, peer: Peer) -> RemoteActor:
        """Fetch (signed) and store an actor document of `peer`; an unusable answer is counted
        in the peer's health (a 404 or 410 is an answer, not a failure)."""
        if host_of(uri) != peer.host:
            raise UnusableActor(f"{uri} is not on {peer.host}")
        try:
            document = await self.client.get_json(
                uri, signer=self.ids.instance, scheme=preferred_scheme(peer.signature_schemes)
            )
            actor = parse_actor(document, peer, self.clock())
            if actor.uri != uri:
                raise UnusableActor("the actor document names another id")
            if actor.public_key_pem:
                pin = fingerprint(load_public_pem(actor.public_key_pem))
                if uri == peer.instance_actor and pin != peer.key_fingerprint:
                    raise UnusableActor("the peer's instance key does not match the pinned one")
            if actor.ed25519_multibase:
                ed25519_from_multibase(actor.ed25519_multibase)
        except (*TRANSPORT_ERRORS, UnusableActor, ValueError, UnsupportedAlgorithm) as error:
            if isinstance(error, FetchError) and error.status in (404, 410):
                raise UnusableActor(f"could not fetch the actor: {error}") from None
            reason = str(error) if isinstance(error, FetchError | UnusableActor) else "bad key"
            async with self.db.transaction() as s:
                await store.note_fetch_failure(s, peer.id, self.clock(), f"actor: {reason}")
            raise UnusableActor(f"could not use the actor: {reason}") from None
        async with self.db.transaction() as s:
            return await store.save_remote_actor(s, actor)

    async def actor(self, uri: str, peer: Peer, *, refresh: bool = False) -> RemoteActor:
        if not refresh:
            async with self.db.reading() as s:
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
