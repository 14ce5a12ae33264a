"""One partner's bad answer harms only its own posts (issue 9, item 3).

A hosts carers, shared with B and C; sam (A) and cara (C) have posted, alex reads at B. A sits
behind a hostile face that replaces its answers to B's batched fetch. Whatever A answers, B's
subnet page answers 200, shows cara's post, says sam's "could not be loaded", and counts the
failure in A's health (`sharon peer list`, the admin page)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    subnet_path,
    write,
)
from faces import Face, FaceFactory, faces
from sqlalchemy import select

from federation.client import MAX_RESPONSE
from node import cli, manage
from storage.models import Peer, PostRef

SAM, CARA = "Sam's post (marker BA1)", "Cara's post (marker BA2)"
Rule = Callable[[web.Request, int, bytes], Awaitable[web.StreamResponse]]


def _raw(body: bytes, content_type: str = "application/activity+json") -> Rule:
    async def rule(request: web.Request, status: int, payload: bytes) -> web.StreamResponse:
        return web.Response(body=body, content_type=content_type.split(";")[0])

    return rule


def _edited(change: Callable[[dict[str, Any]], Any]) -> Rule:
    """A's real answer, changed: what a compromised home might send instead."""

    async def rule(request: web.Request, status: int, payload: bytes) -> web.StreamResponse:
        document = json.loads(payload)
        assert document["items"], "A's real answer should hold sam's post"
        change(document)
        return web.Response(body=json.dumps(document).encode(), content_type="application/json")

    return rule


def _bytes(change: Callable[[bytes], bytes]) -> Rule:
    async def rule(request: web.Request, status: int, payload: bytes) -> web.StreamResponse:
        changed = change(payload)
        assert changed != payload
        return web.Response(body=changed, content_type="application/json")

    return rule


def _item(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        change(document["items"][0])

    return edit


async def _slow(request: web.Request, status: int, payload: bytes) -> web.StreamResponse:
    await asyncio.sleep(8)
    return web.Response(body=payload, content_type="application/activity+json")


def _cases(a: TestNode, c: TestNode, subnet: str) -> dict[str, Rule]:
    deep = b'{"items": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    return {
        "malformed": _raw(b'{"type": "Collection", "items": [{"id": '),
        "nested 30,000 deep": _raw(deep),
        "nested 33 deep": _raw(b'{"items": ' + b"[" * 33 + b"]" * 33 + b"}"),
        "NaN": _raw(b'{"type": "Collection", "totalItems": NaN, "items": []}'),
        "a key twice": _bytes(lambda p: p.replace(b'"content": ', b'"content": "x", "content": ')),
        "a lone surrogate": _edited(_item(lambda i: i.update(content="\ud800 (marker BA1)"))),
        "not UTF-8": _raw(b'{"items": ["\xff\xfe"]}'),
        "huge": _raw(b'{"items": [], "pad": "' + b"x" * MAX_RESPONSE + b'"}'),
        "slow": _slow,
        "a list": _raw(b"[]"),
        "a string": _raw(b'"Collection"'),
        "items a string": _raw(b'{"type": "Collection", "items": "everything"}'),
        "items of numbers": _raw(b'{"type": "Collection", "items": [1, 2]}'),
        "text not a string": _edited(_item(lambda i: i.update(content={"x": 1}))),
        "author name a list": _edited(
            _item(lambda i: i.update(attributedTo={**i["attributedTo"], "name": ["a"]}))
        ),
        "unrequested id": _edited(
            lambda d: d["items"].append({**d["items"][0], "id": f"{a.url}/posts/unasked"})
        ),
        "id on another host": _edited(_item(lambda i: i.update(id=f"{c.url}/posts/x"))),
        "author on another host": _edited(
            _item(lambda i: i.update(attributedTo=f"{c.url}/members/someone"))
        ),
        "another subnet": _edited(_item(lambda i: i.update(audience=f"{a.url}/subnets/diary"))),
        "a duplicate": _edited(lambda d: d["items"].append(d["items"][0])),
        "not a Note": _edited(_item(lambda i: i.update(type="Question"))),
    }


@pytest.fixture
async def face() -> AsyncIterator[FaceFactory]:
    async with faces() as make:
        yield make


@pytest.fixture
async def origins(
    start_node: StartNode, browser: BrowserFactory, face: FaceFactory
) -> tuple[TestNode, TestNode, TestNode, str, Face, Browser]:
    a, b, c = [await start_node(n) for n in ("Bad Origin", "Reader", "Good Origin")]
    hostile = await face(a)
    await peer_all(a, b, c)
    for node, user in ((a, "sam"), (b, "alex"), (c, "cara")):
        await node.add_user(user, "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await share(a, "carers", c)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, subnet, "alex")
    await manage.subnet_add(c.directory, subnet, "cara")
    await eventually(lambda: _members(a, subnet, 3))
    for node, user, text in ((a, "sam", SAM), (c, "cara", CARA)):
        person = browser(node)
        await person.sign_in(user)
        await write(person, subnet, text)
    await eventually(lambda: _refs(b, 2))
    alex = browser(b)
    await alex.sign_in("alex")
    return a, b, c, subnet, hostile, alex


async def _members(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def _refs(node: TestNode, n: int) -> bool:
    return await node.count(PostRef) == n


async def _failures(reader: TestNode, origin: TestNode) -> tuple[int, str | None]:
    async with reader.db.transaction() as s:
        peer = (await s.execute(select(Peer).where(Peer.url == origin.url))).scalar_one()
    return peer.fetch_failures, peer.last_fetch_error


async def test_whatever_one_origin_answers_only_its_posts_fail_and_it_is_counted(
    origins: tuple[TestNode, TestNode, TestNode, str, Face, Browser],
) -> None:
    a, b, c, subnet, hostile, alex = origins
    for name, rule in _cases(a, c, subnet).items():
        hostile.rules["/objects"] = rule
        before, _ = await _failures(b, a)
        status, html = await alex.get(subnet_path(subnet))
        assert status == 200, name
        assert "marker BA2" in html, name  # the good origin's post is untouched
        assert "marker BA1" not in html, name
        assert "could not be loaded from Bad Origin" in html, name
        after, reason = await _failures(b, a)
        assert after == before + 1, name
        assert reason and reason.startswith("reading posts:"), name
        assert await _failures(b, c) == (0, None), name
    assert hostile.hits["/objects"] == len(_cases(a, c, subnet))
    (line,) = [r for r in await manage.peer_list(b.directory) if r[0].url == a.url]
    assert line[0].fetch_failures == len(_cases(a, c, subnet))
    # the admin sees it too
    del hostile.rules["/objects"]
    status, html = await alex.get(subnet_path(subnet))
    assert status == 200 and "marker BA1" in html and "marker BA2" in html  # A behaves again


async def test_peer_list_and_admin_page_show_unusable_answers(
    origins: tuple[TestNode, TestNode, TestNode, str, Face, Browser],
    browser: BrowserFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b, c, subnet, hostile, alex = origins
    hostile.rules["/objects"] = _raw(b"[" * 30_000)
    assert (await alex.get(subnet_path(subnet)))[0] == 200
    await asyncio.to_thread(cli.main, ["peer", "list", str(b.directory)])
    out = capsys.readouterr().out
    (line,) = [row for row in out.splitlines() if row.startswith(a.url)]
    assert "read_failures=1" in line and "reading posts: the answer is not JSON" in line
    (good,) = [row for row in out.splitlines() if row.startswith(c.url)]
    assert "read_failures=0" in good and "last_read_failure=never" in good
    await b.add_user("root", "admin")
    admin = browser(b)
    await admin.sign_in("root")
    status, html = await admin.get("/admin")
    assert status == 200 and "Unusable answers" in html
    assert "reading posts: the answer is not JSON" in html
