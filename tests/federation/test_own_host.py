"""A peer speaks only for its own host (issue 9, item 5), and every document a peer serves is
parsed one way, so a bad one is a clear refusal (issue 9, item 3).

Node A sits behind a face that rewrites what it serves so that it names ids on node C, another
agreed peer. Whatever the document — WebFinger, NodeInfo, the instance actor, a Group, a
member's actor and key — it is refused with a clear error (the CLI prints one `sharon:` line
and exits non-zero), never followed and never stored."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import StartNode, TestNode, peer_all, share
from faces import Face, FaceFactory, faces
from sqlalchemy import select

from node import manage
from storage.models import InboxItem, Membership, Peer, RemoteActor


@pytest.fixture
async def face() -> AsyncIterator[FaceFactory]:
    async with faces() as make:
        yield make


def _rewrite(change: Callable[[dict[str, Any]], None]) -> Any:
    async def rule(request: web.Request, status: int, payload: bytes) -> web.StreamResponse:
        document = json.loads(payload)
        change(document)
        return web.Response(body=json.dumps(document).encode(), content_type="application/json")

    return rule


def _raw(body: bytes) -> Any:
    async def rule(request: web.Request, status: int, payload: bytes) -> web.StreamResponse:
        return web.Response(body=body, content_type="application/json")

    return rule


async def _cli(*args: str) -> tuple[int, str, str]:
    """Run `sharon …` in a process of its own: its exit status and what it printed."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "sharon"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_peer_add_refuses_documents_that_speak_for_another_host(
    start_node: StartNode, face: FaceFactory
) -> None:
    a, b, c = (await start_node("Hostile"), await start_node("Adder"), await start_node("Other"))
    hostile = await face(a)
    other = c.url
    cases: dict[str, tuple[str, Any]] = {
        "actor id": ("/actor", _rewrite(lambda d: d.update(id=f"{other}/actor"))),
        "shared inbox": (
            "/actor",
            _rewrite(lambda d: d.update(endpoints={"sharedInbox": f"{other}/inbox"})),
        ),
        "key id": (
            "/actor",
            _rewrite(lambda d: d["publicKey"].update(id=f"{other}/actor#main-key")),
        ),
        "key owner": ("/actor", _rewrite(lambda d: d["publicKey"].update(owner=f"{other}/actor"))),
        "Ed25519 key": (
            "/actor",
            _rewrite(lambda d: d["assertionMethod"][0].update(id=f"{other}/actor#ed25519-key")),
        ),
        "NodeInfo link": (
            "/.well-known/nodeinfo",
            _rewrite(lambda d: d["links"][0].update(href=f"{other}/nodeinfo/2.1")),
        ),
        "NodeInfo's instance actor": (
            "/nodeinfo/2.1",
            _rewrite(lambda d: d["metadata"].update(instanceActor=f"{other}/actor")),
        ),
        "actor nested 30,000 deep": ("/actor", _raw(b"[" * 30_000 + b"]" * 30_000)),
        "NodeInfo not JSON": ("/nodeinfo/2.1", _raw(b"<html>")),
        "actor with NaN": ("/actor", _raw(b'{"id": NaN}')),
    }
    for name, (path, rule) in cases.items():
        hostile.rules = {path: rule}
        status, out, err = await _cli("peer", "add", str(b.directory), a.url)
        assert status != 0 and out == "", name
        assert err.startswith("sharon: ") and err.count("\n") == 1, (name, err)
        assert await b.count(Peer) == 0, name
    hostile.rules = {"/actor": cases["actor id"][1]}
    assert "speaks for another host (id " in (await _cli("peer", "add", str(b.directory), a.url))[2]
    hostile.rules = {}
    assert (await _cli("peer", "add", str(b.directory), a.url))[0] == 0  # honest again: added


@pytest.fixture
async def three(
    start_node: StartNode, face: FaceFactory
) -> tuple[TestNode, TestNode, TestNode, Face]:
    """A (behind a face) hosts carers, C hosts diary; both are shared with B; alex is at B."""
    a, b, c = (await start_node("Hostile"), await start_node("Reader"), await start_node("Other"))
    hostile = await face(a)
    await peer_all(a, b, c)
    await b.add_user("alex", "carer")
    await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_create(c.directory, "diary", "Diary")
    await share(a, "carers", b)
    await share(c, "diary", b)
    return a, b, c, hostile


async def _memberships(node: TestNode) -> int:
    return await node.count(Membership)


async def test_webfinger_and_group_documents_naming_another_host_are_not_followed(
    three: tuple[TestNode, TestNode, TestNode, Face],
) -> None:
    a, b, c, hostile = three
    a_host, c_group = a.url.split("//")[1], f"{c.url}/subnets/diary"
    hostile.rules = {
        "/.well-known/webfinger": _rewrite(lambda d: d["links"][0].update(href=c_group))
    }
    status, _, err = await _cli("subnet", "add", str(b.directory), f"carers@{a_host}", "alex")
    assert status != 0 and err.count("\n") == 1
    assert err.startswith("sharon: ") and "another host" in err and "not followed" in err
    hostile.rules = {"/subnets/carers": _rewrite(lambda d: d.update(id=c_group))}
    status, _, err = await _cli(
        "subnet", "add", str(b.directory), f"{a.url}/subnets/carers", "alex"
    )
    assert status != 0 and err.startswith("sharon: ") and "another host" in err, err
    hostile.rules = {
        "/subnets/carers": _rewrite(lambda d: d.update(followers=f"{c_group}/followers"))
    }
    status, _, err = await _cli(
        "subnet", "add", str(b.directory), f"{a.url}/subnets/carers", "alex"
    )
    assert status != 0 and "another host (followers" in err, err
    assert await _memberships(b) == 0  # alex joined nothing
    async with b.db.transaction() as s:
        peer = (await s.execute(select(Peer).where(Peer.url == a.url))).scalar_one()
    assert peer.fetch_failures == 2 and "another host" in (peer.last_fetch_error or "")
    hostile.rules = {}
    status, _, _ = await _cli("subnet", "add", str(b.directory), f"carers@{a_host}", "alex")
    assert status == 0 and await _memberships(b) == 1


async def test_a_member_key_document_naming_another_host_is_refused_at_the_inbox(
    three: tuple[TestNode, TestNode, TestNode, Face],
) -> None:
    a, b, c, hostile = three
    await a.add_user("sam", "carer")
    subnet = f"{a.url}/subnets/carers"
    await manage.subnet_add(a.directory, "carers", "sam")
    member = await a.member_uri("sam", subnet)
    member_path = member.removeprefix(a.url)
    before = await b.count(InboxItem)
    bad_documents = {
        "inbox on another host": lambda d: d.update(inbox=f"{c.url}/inbox"),
        "key owner on another host": lambda d: d["publicKey"].update(owner=f"{c.url}/actor"),
        "nested too deep": lambda d: d.update(extra=json.loads("[" * 40 + "]" * 40)),
    }
    for name, change in bad_documents.items():
        hostile.rules = {member_path: _rewrite(change)}
        like = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{a.url}/activities/{uuid.uuid4().hex}",
            "type": "Like",
            "actor": member,
            "object": f"{c.url}/posts/{uuid.uuid4().hex}",
        }
        async with aiohttp.ClientSession() as http:
            response = await a.signed_client(http).post(
                f"{b.url}/inbox", like, signer=member, scheme="rfc9421"
            )
        assert response.status == 401, (name, response.status, response.body)
        assert await b.count(InboxItem) == before, name
        async with b.db.transaction() as s:
            assert await s.get(RemoteActor, member) is None, name
    async with b.db.transaction() as s:
        peer = (await s.execute(select(Peer).where(Peer.url == a.url))).scalar_one()
    assert peer.fetch_failures >= len(bad_documents)
