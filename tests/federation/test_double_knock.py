"""Scheme choice and the double knock: a sender uses what the recipient advertises and, on a
401, tries once more in the other scheme (a recipient that knows only one is still reached)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from conftest import StartNode, free_port

from actors.clock import utcnow
from federation.client import SignedClient, preferred_scheme
from federation.keys import NodeKeys
from node import manage


class OneSchemeInbox:
    """An inbox that understands only `scheme`: 401 to anything else; records what it saw."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.seen: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        used = "rfc9421" if "Signature-Input" in request.headers else "cavage"
        self.seen.append(used)
        return web.Response(status=202 if used == self.scheme else 401)


StartInbox = Callable[[str], Awaitable[tuple[OneSchemeInbox, str]]]


@pytest.fixture
async def inbox_for() -> AsyncIterator[StartInbox]:
    runners: list[web.AppRunner] = []

    async def start(scheme: str) -> tuple[OneSchemeInbox, str]:
        inbox, port = OneSchemeInbox(scheme), free_port()
        app = web.Application()
        app.router.add_post("/inbox", inbox.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return inbox, f"http://127.0.0.1:{port}/inbox"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.mark.parametrize(("first", "understood"), [("cavage", "rfc9421"), ("rfc9421", "cavage")])
async def test_a_401_gets_one_more_try_in_the_other_scheme(
    inbox_for: StartInbox, first: str, understood: str
) -> None:
    inbox, url = await inbox_for(understood)
    async with aiohttp.ClientSession() as http:
        client = SignedClient(http, NodeKeys.generate(), utcnow)
        response = await client.post(
            url, {"type": "Note"}, signer="http://127.0.0.1:9/actor", scheme=first
        )
    assert response.status == 202
    assert inbox.seen == [first, understood]


async def test_a_recipient_that_refuses_both_is_knocked_twice_only(
    inbox_for: StartInbox,
) -> None:
    inbox, url = await inbox_for("neither")
    async with aiohttp.ClientSession() as http:
        client = SignedClient(http, NodeKeys.generate(), utcnow)
        response = await client.post(
            url, {"type": "Note"}, signer="http://127.0.0.1:9/actor", scheme="rfc9421"
        )
    assert response.status == 401 and inbox.seen == ["rfc9421", "cavage"]


def test_the_sender_prefers_rfc9421_only_where_it_is_advertised() -> None:
    assert preferred_scheme(["rfc9421", "cavage"]) == "rfc9421"
    assert preferred_scheme(["cavage"]) == "cavage"
    assert preferred_scheme([]) == "cavage"  # Mastodon and friends say nothing: cavage


async def test_peering_records_the_schemes_a_node_advertises(start_node: StartNode) -> None:
    a = await start_node("One Trust")
    b = await start_node("Another Trust")
    peer = await manage.peer_add(a.directory, b.url)
    assert peer.signature_schemes == ["rfc9421", "cavage"]


async def test_host_meta_points_to_webfinger(start_node: StartNode) -> None:
    a = await start_node("One Trust")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{a.url}/.well-known/host-meta") as response:
            body = await response.text()
            assert response.status == 200
            assert response.content_type == "application/xrd+xml"
    assert f'template="{a.url}/.well-known/webfinger?resource={{uri}}"' in body
