"""Bodies are read whole, up to their limit, however they are chunked (issue 9, item 4).

`StreamReader.read(n)` returns what has arrived so far, not n bytes: a body that arrives in
many small pieces must still be read to its end, and one byte past the limit refused. Each
test sends bodies just under, at and just over a limit, dribbled in small chunks with pauses,
between real nodes (a real client to a real inbox; a real node's answer through a face)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    subnet_path,
    write,
)
from faces import FaceFactory, dribble, faces
from sqlalchemy import select

from actors.clock import utcnow
from actors.ids import LocalIds
from federation import documents
from federation.client import MAX_RESPONSE
from federation.inbox import MAX_BODY
from federation.keys import NodeKeys
from federation.read_reports import MAX_REPORT_BODY
from federation.signatures import sign_request
from node import manage
from storage.models import InboxItem, Peer, PostRef


@pytest.fixture
async def face() -> AsyncIterator[FaceFactory]:
    async with faces() as make:
        yield make


async def _chunks(body: bytes, size: int = 4096, pause: float = 0.001) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]
        await asyncio.sleep(pause)


def _padded_update(sender: TestNode, size: int) -> bytes:
    """A signed-to-be Update of the sender's instance actor, exactly `size` bytes long."""
    keys = NodeKeys.load(sender.directory)
    ids = LocalIds(sender.url)
    activity: dict[str, Any] = documents.render_update(
        ids,
        uuid.uuid4().hex,
        actor_uri=ids.instance,
        document=documents.render_instance_actor(ids, keys, sender.name),
    )
    activity["object"]["summary"] = ""
    bare = len(json.dumps(activity).encode())
    activity["object"]["summary"] = "a" * (size - bare)
    body = json.dumps(activity).encode()
    assert len(body) == size
    return body


async def _dribble_to(sender: TestNode, url: str, body: bytes) -> int:
    keys = NodeKeys.load(sender.directory)
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_request(
            "POST",
            url,
            headers,
            body,
            key_id=f"{sender.url}/actor#main-key",
            private_key=keys.rsa,
            scheme="cavage",
            now=utcnow(),
        )
    )
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=_chunks(body), headers=headers) as response,
    ):
        return response.status


async def test_inbox_reads_a_dribbled_body_whole_up_to_its_limit(start_node: StartNode) -> None:
    a, b = await start_node("Receiver"), await start_node("Sender")
    await peer_all(a, b)
    for size in (MAX_BODY - 100_000, MAX_BODY - 1, MAX_BODY):
        assert await _dribble_to(b, f"{a.url}/inbox", _padded_update(b, size)) == 202, size
    assert await a.count(InboxItem) == 3
    assert await _dribble_to(b, f"{a.url}/inbox", _padded_update(b, MAX_BODY + 1)) == 413
    assert await a.count(InboxItem) == 3  # nothing stored of the refused one


async def test_read_reports_read_whole_up_to_their_limit(start_node: StartNode) -> None:
    a, b = await start_node("Home"), await start_node("Reporter")
    await peer_all(a, b)
    read = {"object": f"{a.url}/posts/{uuid.uuid4().hex}", "reader": f"{b.url}/members/x"}
    one = json.dumps({**read, "at": utcnow().isoformat()})
    body = ('{"reads": [' + ", ".join([one] * 1000) + "]}").encode()
    assert len(body) < MAX_REPORT_BODY
    assert await _dribble_to(b, f"{a.url}/reads", body) == 200  # read whole: digest matches
    over = body[:-2] + b" " * (MAX_REPORT_BODY + 1 - len(body)) + b"]}"
    assert await _dribble_to(b, f"{a.url}/reads", over) == 413


async def test_a_dribbled_answer_of_fifty_long_posts_is_read_whole(
    start_node: StartNode, browser: BrowserFactory, face: FaceFactory
) -> None:
    a = await start_node("Home")
    b = await start_node("Reader", cache_ttl_seconds=1)
    hostile = await face(a)
    await peer_all(a, b)
    await a.add_user("sam", "carer")
    await b.add_user("alex", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, subnet, "alex")
    sam = browser(a)
    await sam.sign_in("sam")
    for i in range(50):
        await write(sam, subnet, f"Long post (marker W{i:02}.) " + "the same words again " * 230)
    await eventually(lambda: _refs(b, 50), within=30)
    alex = browser(b)
    await alex.sign_in("alex")
    sizes: list[int] = []

    def answer(pad_to: int | None, chunk: int) -> Any:
        async def rule(request: web.Request, status: int, payload: bytes) -> web.StreamResponse:
            sizes.append(len(payload))
            if pad_to is not None:
                payload = payload + b" " * (pad_to - len(payload))
            return await dribble(request, payload, chunk=chunk, pause=0.001)

        return rule

    # 50 long posts (~250 KB), in 1,000-byte pieces: every one is shown
    hostile.rules["/objects"] = answer(None, 1000)

    async def all_shown() -> bool:  # a loaded machine may pass B's time limit: B asks again
        status, html = await alex.get(subnet_path(subnet))
        return status == 200 and all(f"marker W{i:02}." in html for i in range(50))

    await eventually(all_shown, within=60)
    assert 240_000 < sizes[-1] < MAX_RESPONSE
    for pad_to, shown in ((MAX_RESPONSE + 1, False), (MAX_RESPONSE, True)):
        await asyncio.sleep(1.1)  # B's cache (1 s here) has let go of the texts
        hostile.rules["/objects"] = answer(pad_to, 16 * 1024)
        status, html = await alex.get(subnet_path(subnet))
        assert status == 200
        assert all((f"marker W{i:02}." in html) == shown for i in range(50)), pad_to
    async with b.db.transaction() as s:
        peer = (await s.execute(select(Peer).where(Peer.url == a.url))).scalar_one()
    assert peer.fetch_failures == 1 and "too large" in (peer.last_fetch_error or "")


async def _refs(node: TestNode, n: int) -> bool:
    return await node.count(PostRef) == n
