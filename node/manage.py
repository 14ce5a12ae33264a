"""A trust admin's operations on a node's data directory, shared by the CLI, the demo and tests.

Each opens the node's database, does one unit of work, and closes it again; they work while
`sharon serve` runs (the server's workers pick up the events they record).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from actors import (
    audit_trail,
    first_step,
    invitations,
    library,
    messages,
    people,
    personas,
    response_times,
    retention,
    sharing,
    subnets,
    totp,
)
from actors.clock import utcnow
from actors.ids import LocalIds
from federation import documents
from federation.client import SignedClient, preferred_scheme
from federation.keys import NodeKeys
from federation.peering import PeeringError, add_peer, find_remote_subnet, normalise_url
from federation.remote import Directory, peers_changed
from node.settings import CONFIG, Settings, SettingsError, load, render_toml
from node.shared import tell_running_node
from storage import audit
from storage import peers as peer_store
from storage import people as people_store
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import Peer, ShareOffer, Subnet, new_id


class ManageError(Exception):
    """An admin request that cannot be done; the message is one line for the terminal."""


def init_node(directory: Path, *, url: str, name: str, database_url: str | None = None) -> Settings:
    """Create a node in an empty or new directory: settings, keys (0600) and the schema."""
    try:
        base = normalise_url(url)
    except PeeringError as error:
        raise ManageError(str(error)) from None
    if not name.strip():
        raise ManageError("give the trust's name with --name")
    if (directory / CONFIG).exists() or (directory.exists() and any(directory.iterdir())):
        raise ManageError(f"{directory} already exists and is not empty; choose a new directory")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    database_url = database_url or f"sqlite:///{(directory / 'sharon.sqlite3').resolve()}"
    NodeKeys.generate().save(directory)
    (directory / CONFIG).write_text(render_toml(base, name.strip(), database_url))
    try:
        upgrade(database_url)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        raise ManageError(f"could not create the database: {reason}") from None
    return load(directory, environ={})


def settings_for(directory: Path) -> Settings:
    try:
        return load(directory)
    except SettingsError as error:
        raise ManageError(str(error)) from None


@dataclass
class Node:
    settings: Settings
    db: Database
    ids: LocalIds


@asynccontextmanager
async def opened(directory: Path) -> AsyncIterator[Node]:
    settings = settings_for(directory)
    db = Database.connect(settings.database_url)
    try:
        yield Node(settings, db, LocalIds(settings.url))
    finally:
        await db.close()


async def add_user(
    directory: Path,
    username: str,
    role: str,
    password: str,
    pseudonym: str | None = None,
    hasher: PasswordHasher | None = None,
    totp_secret: str | None = None,
) -> str:
    """Add a person; staff given a `totp_secret` skip enrolling an app at first sign-in."""
    async with opened(directory) as node, node.db.transaction() as s:
        person = await people.add_person(
            s,
            hasher or PasswordHasher(),
            username=username,
            role=role,
            password=password,
            now=utcnow(),
            pseudonym=pseudonym,
        )
        if totp_secret:
            person.totp_secret = totp.checked_secret(totp_secret)
        return person.id


async def peer_add(directory: Path, url: str) -> Peer:
    async with opened(directory) as node, aiohttp.ClientSession() as http:
        try:
            peer = await add_peer(node.db, http, node.ids, url, utcnow())
        except PeeringError as error:
            raise ManageError(str(error)) from None
        peers_changed(directory)
        await tell_running_node(node.settings, peers=True)
    return peer


async def peer_list(directory: Path) -> list[tuple[Peer, int]]:
    async with opened(directory) as node, node.db.transaction() as s:
        queues = await peer_store.queue_lengths(s)
        return [(peer, queues.get(peer.id, 0)) for peer in await peer_store.list_peers(s)]


async def subnet_create(directory: Path, slug: str, name: str, kind: str = "support") -> str:
    async with opened(directory) as node, node.db.transaction() as s:
        subnet = await subnets.create_subnet(s, slug=slug, name=name, now=utcnow(), kind=kind)
        return node.ids.subnet(subnet.slug)


async def _agreed_peer(s: AsyncSession, peer_url: str) -> Peer:
    try:
        peer = await peer_store.peer_by_url(s, normalise_url(peer_url))
    except PeeringError as error:
        raise ManageError(str(error)) from None
    if peer is None:
        raise ManageError(f"{peer_url} is not an agreed peer; run `sharon peer add` first")
    return peer


async def subnet_share(directory: Path, slug: str, peer_url: str) -> bool:
    """Invite a peer to share a subnet; it is shared once that peer's admin accepts."""
    async with opened(directory) as node, node.db.transaction() as s:
        peer = await _agreed_peer(s, peer_url)
        return await sharing.share_subnet(s, slug=slug, peer=peer, now=utcnow())


async def subnet_unshare(directory: Path, slug: str, peer_url: str) -> int:
    """End sharing a subnet with a peer; returns how many references of its posts went."""
    async with opened(directory) as node, node.db.transaction() as s:
        peer = await _agreed_peer(s, peer_url)
        dropped = await sharing.unshare_subnet(s, node.ids, slug=slug, peer=peer, now=utcnow())
    await tell_running_node(node.settings, dropped=dropped)
    return len(dropped)


async def peer_remove(directory: Path, peer_url: str) -> int:
    """Stop federating with a peer and drop everything of it; returns references dropped."""
    async with opened(directory) as node:
        async with node.db.transaction() as s:
            peer = await _agreed_peer(s, peer_url)
            dropped = await sharing.remove_peer(s, node.ids, peer=peer, now=utcnow())
        peers_changed(directory)
        await tell_running_node(node.settings, dropped=dropped, peers=True)
        return len(dropped)


async def share_list(directory: Path) -> list[tuple[ShareOffer, Peer]]:
    """Share invitations from other trusts' subnets waiting for this trust's answer."""
    async with opened(directory) as node, node.db.transaction() as s:
        return await sharing.pending_offers(s)


async def share_answer(directory: Path, subnet_uri: str, *, accept: bool) -> None:
    async with opened(directory) as node, node.db.transaction() as s:
        await sharing.answer_offer(s, subnet_uri=subnet_uri, accept=accept, who="cli", now=utcnow())


async def is_partner_of(directory: Path, subnet_uri: str) -> bool:
    """Whether the home of a subnet elsewhere lists this node as a partner (its Group, fetched)."""
    async with opened(directory) as node, aiohttp.ClientSession() as http:
        client = SignedClient(http, NodeKeys.load(node.settings.data_dir), utcnow)
        try:
            group = await find_remote_subnet(
                node.db, http, Directory(node.db, client, node.ids, utcnow), subnet_uri
            )
        except PeeringError:
            return False
        return node.ids.instance in group.partners


async def member_uri(directory: Path, username: str, subnet_uri: str) -> str:
    """The URI that names a local person inside one subnet (what other nodes see and what
    their activities there are signed as)."""
    async with opened(directory) as node, node.db.transaction() as s:
        person = await people_store.person_by_username(s, username)
        if person is None:
            raise ManageError(f"there is no user called {username!r} on this node")
        return await personas.member_uri(s, node.ids, person.id, subnet_uri)


async def subnet_policy(directory: Path, slug: str, change: retention.PolicyChange) -> Subnet:
    async with opened(directory) as node, node.db.transaction() as s:
        return await retention.set_policy(s, node.ids, slug=slug, change=change, now=utcnow())


async def subnet_first_step(
    directory: Path, slug: str, on: bool, texts: dict[str, str] | None = None
) -> library.NextSteps | None:
    """Mark a subnet First Step (with What happens next texts) or not."""
    async with opened(directory) as node, node.db.transaction() as s:
        return await first_step.set_first_step(s, slug=slug, on=on, now=utcnow(), texts=texts)


async def retention_run(directory: Path) -> int:
    """Erase content older than each subnet's retention period, and private messages older
    than `message_retention_days` (the server also does this)."""
    async with opened(directory) as node, node.db.transaction() as s:
        now = utcnow()
        erased = await retention.run_retention(s, node.ids, now)
        days = node.settings.message_retention_days
        return erased + await messages.erase_expired(s, now=now, days=days)


async def subnet_add(directory: Path, subnet: str, username: str) -> str:
    """Add a local person to a local subnet (by slug) or one on a partner (by URI or handle)."""
    async with opened(directory) as node:
        async with node.db.transaction() as s:
            person = await people_store.person_by_username(s, username)
        if person is None:
            raise ManageError(f"there is no user called {username!r} on this node")
        if "@" not in subnet and "://" not in subnet:
            async with node.db.transaction() as s:
                await subnets.add_local_member(
                    s, node.ids, slug=subnet, person=person, now=utcnow()
                )
                await audit.record(
                    s,
                    at=utcnow(),
                    who="cli",
                    action="member.added",
                    target=await personas.member_uri(
                        s, node.ids, person.id, node.ids.subnet(subnet)
                    ),
                )
            return node.ids.subnet(subnet)
        keys = NodeKeys.load(node.settings.data_dir)
        async with aiohttp.ClientSession() as http:
            client = SignedClient(http, keys, utcnow)
            directory_ = Directory(node.db, client, node.ids, utcnow)
            try:
                group = await find_remote_subnet(node.db, http, directory_, subnet)
            except PeeringError as error:
                raise ManageError(str(error)) from None
        async with node.db.transaction() as s:
            await subnets.join_remote_subnet(s, node.ids, group=group, person=person, now=utcnow())
            await audit.record(
                s,
                at=utcnow(),
                who="cli",
                action="member.added",
                target=await personas.member_uri(s, node.ids, person.id, group.uri),
            )
        return group.uri


async def keys_rotate(directory: Path) -> list[tuple[str, int | None]]:
    """New keys for the node and every actor on it; each peer is sent an `Update` of the
    instance actor signed with the *old* key, which it still trusts, so it can re-pin.

    Returns (peer name, HTTP status or None if unreachable) for each peer. The running node
    must be restarted to sign with the new keys; peers accept the old ones meanwhile."""
    async with opened(directory) as node:
        async with node.db.transaction() as s:
            peers = [p for p in await peer_store.list_peers(s) if p.state != "removed"]
        old, new = NodeKeys.rotate(node.settings.data_dir)
        async with node.db.transaction() as s:
            await audit.record(
                s, at=utcnow(), who="cli", action="keys.rotated", target=node.ids.instance
            )
        update = documents.render_update(
            node.ids,
            new_id(),
            actor_uri=node.ids.instance,
            document=documents.render_instance_actor(node.ids, new, node.settings.trust_name),
        )
        outcomes: list[tuple[str, int | None]] = []
        async with aiohttp.ClientSession() as http:
            client = SignedClient(http, old, utcnow)
            for peer in peers:
                try:
                    response = await client.post(
                        peer.shared_inbox,
                        update,
                        signer=node.ids.instance,
                        scheme=preferred_scheme(peer.signature_schemes),
                    )
                    outcomes.append((peer.name, response.status))
                except (aiohttp.ClientError, OSError, TimeoutError):
                    outcomes.append((peer.name, None))
        return outcomes


async def invite_create(
    directory: Path, *, by: str, role: str, subnets_: list[str], real_name: str = ""
) -> tuple[str, str]:
    """An invitation made by staff member `by`; returns (link, code) to hand to the invitee."""
    async with opened(directory) as node, node.db.transaction() as s:
        inviter = await people_store.person_by_username(s, by)
        if inviter is None:
            raise ManageError(f"there is no user called {by!r} on this node")
        created = await invitations.create_invitation(
            s,
            node.ids,
            inviter=inviter,
            role=role,
            subnet_slugs=subnets_,
            real_name=real_name,
            now=utcnow(),
        )
        return f"{node.ids.base}/join?token={created.token}", invitations.show_code(created.code)


async def audit_verify(directory: Path) -> audit_trail.ChainCheck:
    async with opened(directory) as node, node.db.transaction() as s:
        return await audit_trail.verify(s)


async def audit_export(directory: Path, start: str, end: str) -> str:
    """The audit entries from `start` to `end` (ISO dates, inclusive) as CSV; audited."""
    async with opened(directory) as node, node.db.transaction() as s:
        return await audit_trail.export(
            s, node.ids, viewer=None, start=start, end=end, now=utcnow()
        )


async def moderation_times(directory: Path) -> list[response_times.SubnetTimes]:
    """Response times per subnet hosted or read here (README "For moderators")."""
    async with opened(directory) as node, node.db.transaction() as s:
        return await response_times.for_node(s, node.ids, viewer=None)


async def care_team_add(directory: Path, username: str, clinician: str) -> bool:
    """The clinician `clinician` puts herself on `username`'s care team (as from their record)."""
    async with opened(directory) as node, node.db.transaction() as s:
        person = await people_store.person_by_username(s, username)
        staff = await people_store.person_by_username(s, clinician)
        if person is None or staff is None:
            raise ManageError("there is no such patient, carer or clinician on this node")
        return await messages.change_care_team(
            s,
            node.ids,
            viewer=staff,
            person_id=person.id,
            clinician_id=staff.id,
            add=True,
            now=utcnow(),
        )


async def message_times(directory: Path) -> list[response_times.SubnetTimes]:
    """Hours to a clinician's first reply to a patient's or carer's message (README
    "Messages with the care team")."""
    async with opened(directory) as node, node.db.transaction() as s:
        return await messages.reply_times(s, viewer=None)
