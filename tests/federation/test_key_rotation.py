"""`sharon keys rotate`: new keys for the node and its actors; peers learn of them by an
`Update` signed with the old key and re-pin; a stale cached key is refetched once; the old key
still verifies for a grace period; a key that was never the node's is refused."""

from __future__ import annotations

import json

import aiohttp
from conftest import StartNode, TestNode, eventually, peer_all, share
from test_inbox_refusals import _signed

from actors import posts
from actors.clock import utcnow
from actors.ids import LocalIds
from actors.screening.rules import RuleScreener
from federation.keys import NodeKeys
from node import manage
from storage import peers as peer_store
from storage import people as people_store
from storage.models import PostRef


async def _pin_of(reader: TestNode, host_url: str) -> str:
    async with reader.db.transaction() as s:
        peer = await peer_store.peer_by_url(s, host_url)
        assert peer is not None
        return peer.key_fingerprint


async def _instance_post(sender: TestNode, receiver: TestNode, keys: NodeKeys) -> int:
    """An activity from the sender's instance actor signed with `keys`; the status it gets."""
    actor = f"{sender.url}/actor"
    body = json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{sender.url}/activities/{utcnow().timestamp()}",
            "type": "Update",
            "actor": actor,
            "object": {"id": f"{sender.url}/not-an-actor", "type": "Note"},
        }
    ).encode()
    headers = _signed(f"{receiver.url}/inbox", body, f"{actor}#main-key", keys.rsa)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{receiver.url}/inbox", data=body, headers=headers) as response:
            return response.status


async def test_rotated_keys_are_announced_repinned_refetched_and_the_old_key_has_grace(
    start_node: StartNode,
) -> None:
    a = await start_node("Rotating Trust")
    b = await start_node("Partner Trust")
    await peer_all(a, b)
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    old = NodeKeys.load(a.directory)
    assert await _instance_post(a, b, old) == 202  # B now holds A's instance key

    outcomes = await manage.keys_rotate(a.directory)
    assert outcomes == [("Partner Trust", 202)]
    new = NodeKeys.load(a.directory)
    assert new.fingerprint != old.fingerprint
    assert (a.directory / "retired-instance-rsa.pem").stat().st_mode & 0o777 == 0o600

    async def repinned() -> bool:
        return await _pin_of(b, a.url) == new.fingerprint

    await eventually(repinned)
    assert await _instance_post(a, b, new) == 202
    assert await _instance_post(a, b, old) == 202  # grace period
    assert await _instance_post(a, b, NodeKeys.generate()) == 401

    # A serves with its new keys; B still caches the subnet actor's old key, so the Announce
    # fails to verify once, B refetches the key, and the post arrives.
    await a.restart()
    ids = LocalIds(a.url)
    async with a.db.transaction() as s:
        sam = await people_store.person_by_username(s, "sam")
        assert sam is not None
        post = await posts.write_post(
            s,
            ids,
            person=sam,
            subnet_uri=subnet,
            content="after rotation",
            now=utcnow(),
            screener=RuleScreener(),
        )

    async def arrived() -> bool:
        return ids.post(post.id) in await b.all_rows_text() and await b.count(PostRef) == 1

    await eventually(arrived)

    async with b.db.transaction() as s:
        group = await peer_store.remote_actor(s, subnet)
    assert group is not None and group.public_key_pem == new.rsa_public_pem
