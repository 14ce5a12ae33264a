"""The walking skeleton's promise, end to end on three real nodes: a subnet hosted by A and
shared with B (not C); posts are stored only by their author's node and read live elsewhere."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp
from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    shows,
    subnet_path,
    write,
)

from node import manage
from storage.models import InboxItem, PostRef


async def _scenario(start_node: StartNode) -> tuple[TestNode, TestNode, TestNode, str]:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    c = await start_node("Bucks")
    await peer_all(a, b, c)
    await a.add_user("sam", "carer", "Sam the carer")
    await b.add_user("alex", "carer", "Alex from Oxford")
    await c.add_user("jo", "patient")
    carers = await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, carers, "alex")
    return a, b, c, carers


async def test_post_from_partner_is_read_live_on_host_and_never_stored_there(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, c, carers = await _scenario(start_node)
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    # B's Join must reach A before A accepts alex's posts; the page shows the post once it has.
    text = "Respite care helped me more than I expected (marker B7Q2)"
    await eventually(lambda: _join_done(a))
    await write(alex, carers, text)

    await eventually(lambda: shows(sam, carers, text), within=20)  # live: the TTL is 300 s
    assert await shows(alex, carers, text)
    _, html = await sam.get(subnet_path(carers))
    assert "Alex from Oxford" in html and "Oxford Health" in html

    for path in a.sqlite_files:
        assert text.encode() not in path.read_bytes(), path
    assert text not in await a.all_rows_text()
    async with a.db.transaction() as s:
        refs = (await s.execute(PostRef.__table__.select())).all()
    assert len(refs) == 1 and refs[0].object_uri.startswith(b.url + "/posts/")

    post_uri = refs[0].object_uri
    c_rows = await c.all_rows_text()
    assert post_uri not in c_rows and text not in c_rows
    assert await c.count(PostRef) == 0

    async with aiohttp.ClientSession() as http:
        client = c.signed_client(http)
        signer = f"{c.url}/actor"
        for url in (post_uri, carers, f"{b.url}/objects?id={quote(post_uri, safe='')}"):
            response = await client.request("GET", url, None, signer=signer, scheme="cavage")
            if url.startswith(f"{b.url}/objects"):
                assert response.status == 200 and text.encode() not in response.body
            else:
                assert response.status == 404, (url, response.status)


async def _join_done(node: TestNode) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.execute(InboxItem.__table__.select())).all()
    return any(row.state == "done" and row.activity["type"] == "Join" for row in rows)


async def test_post_on_host_is_announced_to_partner_only(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, c, carers = await _scenario(start_node)
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    text = "Does anyone know a good carers café in Reading (marker A1X9)"
    await write(sam, carers, text)
    await eventually(lambda: shows(alex, carers, text), within=20)
    for path in b.sqlite_files:
        assert text.encode() not in path.read_bytes()
    assert text not in await b.all_rows_text()
    assert text not in await c.all_rows_text()
    assert await c.count(InboxItem) == 0
    assert await b.count(PostRef) == 1


async def test_subnet_page_names_host_and_partners(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, _, _ = await _scenario(start_node)
    alex = browser(b)
    await alex.sign_in("alex")
    status, html = await alex.get("/")
    assert status == 200
    assert "Carers across the Thames Valley" in html
    assert "Hosted by Berkshire Healthcare" in html and "Shared with: Oxford Health" in html
    status, _ = await alex.get(subnet_path(f"{a.url}/subnets/secret"))
    assert status == 404


async def test_nodeinfo_and_webfinger_describe_the_node(start_node: StartNode) -> None:
    a = await start_node("Berkshire Healthcare")
    await manage.subnet_create(a.directory, "carers", "Carers")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{a.url}/.well-known/nodeinfo") as response:
            href = (await response.json())["links"][0]["href"]
        async with http.get(href) as response:
            info = await response.json(content_type=None)
        host = a.url.removeprefix("http://")
        async with http.get(
            f"{a.url}/.well-known/webfinger?resource=acct:carers@{host}"
        ) as response:
            finger = await response.json(content_type=None)
        async with http.get(
            f"{a.url}/subnets/carers", headers={"Accept": "application/activity+json"}
        ) as response:
            unsigned_status = response.status
    assert info["openRegistrations"] is False
    assert info["metadata"]["trustName"] == "Berkshire Healthcare"
    assert finger["links"][0]["href"] == f"{a.url}/subnets/carers"
    assert unsigned_status == 401
