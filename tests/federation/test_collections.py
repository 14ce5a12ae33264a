"""Actor collections obey authorized fetch: a partner sees references and counts, never text;
a peer that is not a partner, or an unsigned request, learns nothing (404 / 401)."""

from __future__ import annotations

import json

import aiohttp
from conftest import StartNode, TestNode, peer_all, share

from actors import posts
from actors.clock import utcnow
from actors.ids import LocalIds
from actors.screening.rules import RuleScreener
from node import manage
from storage import people as people_store

SECRET = "a carer's words that only their home node stores"


async def _get(reader: TestNode, url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        client = reader.signed_client(http)
        response = await client.request(
            "GET", url, None, signer=f"{reader.url}/actor", scheme="cavage"
        )
        body = json.loads(response.body) if response.status == 200 else {}
        return response.status, body


async def _write(node: TestNode, username: str, subnet: str, text: str) -> str:
    ids = LocalIds(node.url)
    async with node.db.transaction() as s:
        person = await people_store.person_by_username(s, username)
        assert person is not None
        post = await posts.write_post(
            s,
            ids,
            person=person,
            subnet_uri=subnet,
            content=text,
            now=utcnow(),
            screener=RuleScreener(),
        )
    return ids.post(post.id)


async def _three(start_node: StartNode) -> tuple[TestNode, TestNode, TestNode, str, str]:
    a, b, c = [await start_node(name) for name in ("Host", "Partner", "Peer only")]
    await peer_all(a, b, c)
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    return a, b, c, subnet, await manage.member_uri(a.directory, "sam", subnet)


async def test_subnet_outbox_lists_post_uris_to_a_partner_without_their_text(
    start_node: StartNode,
) -> None:
    a, b, _c, subnet, sam = await _three(start_node)
    post_uri = await _write(a, "sam", subnet, SECRET)
    status, outbox = await _get(b, f"{subnet}/outbox")
    assert status == 200
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 1
    assert outbox["orderedItems"] == [post_uri]
    assert SECRET not in json.dumps(outbox)
    status, followers = await _get(b, f"{subnet}/followers")
    assert status == 200 and followers["totalItems"] == 1 and "orderedItems" not in followers
    status, person = await _get(b, f"{sam}/outbox")
    assert status == 200 and person["totalItems"] == 0


async def test_collections_are_404_to_a_peer_that_is_not_a_partner(start_node: StartNode) -> None:
    a, _b, c, subnet, sam = await _three(start_node)
    await _write(a, "sam", subnet, SECRET)
    for url in (f"{subnet}/outbox", f"{subnet}/followers", f"{sam}/outbox"):
        status, _ = await _get(c, url)
        assert status == 404, url


async def test_collections_refuse_unsigned_requests(start_node: StartNode) -> None:
    a, _b, _c, subnet, _sam = await _three(start_node)
    async with aiohttp.ClientSession() as http:
        for url in (f"{subnet}/outbox", f"{a.url}/actor/outbox"):
            async with http.get(url, headers={"Accept": "application/activity+json"}) as r:
                assert r.status == 401, url


async def test_instance_outbox_answers_a_signed_peer(start_node: StartNode) -> None:
    a, b, _c, _subnet, _sam = await _three(start_node)
    status, outbox = await _get(b, f"{a.url}/actor/outbox")
    assert status == 200 and outbox["totalItems"] == 0
