"""A name a peer's actor document gives (a subnet's Group, a member) is held to our text
rules before it is stored or shown here: one with a bidi override or a control character makes
the document unusable, with a clear reason, like any other bad answer (issue 9, item 10)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from conftest import BrowserFactory, StartNode, peer_all
from faces import FaceFactory, faces

from node import manage


@pytest.fixture
async def face() -> AsyncIterator[FaceFactory]:
    async with faces() as make:
        yield make


async def _renamed(request: web.Request, status: int, payload: bytes) -> web.StreamResponse:
    document = json.loads(payload)
    document["name"] = "Carers \u202egnirahs\u202c"
    return web.Response(body=json.dumps(document).encode(), content_type="application/json")


async def test_a_group_name_with_a_bidi_override_is_never_stored_or_shown(
    start_node: StartNode, browser: BrowserFactory, face: FaceFactory
) -> None:
    a, b = await start_node("Host"), await start_node("Partner")
    hostile = await face(a)
    hostile.rules["/subnets/carers"] = _renamed
    await peer_all(a, b)
    await b.add_user("root", "admin")
    await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_share(a.directory, "carers", b.url)
    await asyncio.sleep(3)
    admin = browser(b)
    await admin.sign_in("root")
    _, html = await admin.get("/admin")
    assert hostile.hits["/subnets/carers"] >= 1
    assert "\u202e" not in html and "gnirahs" not in html
    assert "gnirahs" not in await b.all_rows_text()
