"""The inbox's door (issue 9, items 6 and 10): bad input gets a clear 4xx, never a 500 and
never a silent repair, and nothing is stored; the refusals the README promises "before anything
is stored" hold however the activity is written, and from the moment a share or peering ends.

Every case is a real signed request from a real peer node to a real node.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import uuid
from typing import Any

import aiohttp
import pytest
from conftest import BrowserFactory, StartNode, TestNode, eventually, peer_all, share, write

from actors.clock import utcnow
from federation.documents import LD_JSON
from federation.inbox import HANDLED, InboxWriter
from federation.keys import NodeKeys
from federation.signatures import sign_request
from node import manage
from node.app import PROCESSOR
from storage.models import InboxItem, Peer, PostRef, new_id

AS2 = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json"


@pytest.fixture
async def trio(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, TestNode, TestNode, str, str]:
    """A hosts carers shared with B; C is a peer of both but no partner. sam has posted."""
    a, b, c = await start_node("Host"), await start_node("Partner"), await start_node("Stranger")
    await peer_all(a, b, c)
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    await write(sam, subnet, "The host's post (marker DOOR1)")
    await eventually(lambda: _refs(b, 1))
    return a, b, c, subnet, await a.post_uri("The host's post (marker DOOR1)")


async def _refs(node: TestNode, n: int) -> bool:
    return await node.count(PostRef) == n


def _activity(sender: TestNode, **fields: Any) -> dict[str, Any]:
    return {
        "@context": AS2,
        "id": f"{sender.url}/activities/{uuid.uuid4().hex}",
        "actor": f"{sender.url}/actor",
        **fields,
    }


async def send_raw(
    sender: TestNode,
    to: TestNode,
    body: bytes,
    content_type: str = ACTIVITY_JSON,
    extra: dict[str, str] | None = None,
) -> tuple[int, str]:
    """POST `body` as sent, signed (RFC 9421, Ed25519) by the sender's instance actor."""
    url = f"{to.url}/inbox"
    headers = {"Content-Type": content_type, **(extra or {})}
    headers.update(
        sign_request(
            "POST",
            url,
            headers,
            body,
            key_id=f"{sender.url}/actor#ed25519-key",
            private_key=NodeKeys.load(sender.directory).ed25519,
            scheme="rfc9421",
            now=utcnow(),
        )
    )
    async with (
        aiohttp.ClientSession(auto_decompress=False) as http,
        http.post(url, data=body, headers=headers, compress=None) as response,
    ):
        return response.status, await response.text()


def _json(document: Any) -> bytes:
    return json.dumps(document).encode()


async def _stored(node: TestNode) -> int:
    return await node.count(InboxItem)


async def test_media_types_other_than_activitypubs_are_415(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, b, _c, subnet, _post = trio
    before = await _stored(a)
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "application/octet-stream",
        "application/json",
        "application/ld+json",
        'application/ld+json; profile="https://example.org/other"',
        "application/activity+json; charset=utf-16",
        "application/activity+json; charset=latin-1",
        "",
    ):
        body = _json(_activity(b, type="Like", object=subnet))
        status, text = await send_raw(b, a, body, content_type)
        assert status == 415, (content_type, status, text)
        assert "Content-Type must be" in text or "must be UTF-8" in text, text
    assert await _stored(a) == before
    for content_type in (
        ACTIVITY_JSON,
        LD_JSON,
        "application/activity+json; charset=utf-8",
        'application/ld+json;profile="https://www.w3.org/ns/activitystreams"',
    ):
        body = _json(_activity(b, type="Like", object=subnet))
        status, text = await send_raw(b, a, body, content_type)
        assert status == 202, (content_type, text)


async def test_a_content_encoding_is_400_not_500(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, b, _c, subnet, _post = trio
    before = await _stored(a)
    body = _json(_activity(b, type="Like", object=subnet))
    for coding, payload in (("gzip", body), ("gzip", gzip.compress(body)), ("br", body)):
        status, text = await send_raw(b, a, payload, extra={"Content-Encoding": coding})
        assert status == 400 and "Content-Encoding" in text, (coding, status, text)
    assert await _stored(a) == before


async def test_json_beyond_json_is_400(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, b, c, subnet, _post = trio
    before = await _stored(a)
    good = _json(_activity(b, type="Like", object=subnet))
    other = f'"actor": "{c.url}/actor"'
    cases = {
        "NaN": good[:-1] + b', "n": NaN}',
        "Infinity": good[:-1] + b', "n": Infinity}',
        "-Infinity": good[:-1] + b', "n": -Infinity}',
        "surrogate in id": _json(_activity(b, type="Like", object=subnet)).replace(
            b"/activities/", b"/activities/\\ud800"
        ),
        "surrogate in a value": good[:-1] + b', "name": "x\\udfff"}',
        "surrogate in a key": good[:-1] + b', "\\ud800": "x"}',
        "NUL": good[:-1] + b', "name": "a\\u0000b"}',
        "UTF-16": good.decode().encode("utf-16"),
        "UTF-16LE": good.decode().encode("utf-16-le"),
        "UTF-32": good.decode().encode("utf-32"),
        "UTF-8 BOM": b"\xef\xbb\xbf" + good,
        "raw 0xff": good[:-1] + b', "name": "\xff"}',
        "duplicate actor": good[:-1] + f", {other}}}".encode(),
        "duplicate actor, the other first": f"{{{other}, ".encode() + good[1:],
        "truncated": good[:-5],
        "not an object": b"[1, 2]",
    }
    for name, body in cases.items():
        status, text = await send_raw(b, a, body)
        assert status == 400, (name, status, text)
        assert "malformed activity" in text, (name, text)
    assert await _stored(a) == before


def _shape_cases(
    b: TestNode, c: TestNode, subnet: str
) -> dict[str, tuple[dict[str, Any], int, str]]:
    me = f"{b.url}/actor"
    return {
        "unknown type": (_activity(b, type="Arrive", object=subnet), 422, "does not handle"),
        "two types": (_activity(b, type=["Like", "Note"], object=subnet), 400, "one type"),
        "no type": (_activity(b, object=subnet), 400, "one type"),
        "unbundled context": (
            {**_activity(b, type="Like", object=subnet), "@context": "https://evil.example/ctx"},
            400,
            "remote context refused",
        ),
        "id on another host": (
            {**_activity(b, type="Like", object=subnet), "id": f"{c.url}/activities/x"},
            400,
            "not on its actor's host",
        ),
        "id of 100 kB": (
            {**_activity(b, type="Like", object=subnet), "id": f"{b.url}/a/{'x' * 100_000}"},
            400,
            "longer than",
        ),
        "id of 256 characters": (
            {**_activity(b, type="Like", object=subnet), "id": f"{b.url}/{'x' * 250}"[:256]},
            400,
            "longer than",
        ),
        "javascript: object": (
            _activity(b, type="Like", object="javascript:alert(1)"),
            400,
            "http",
        ),
        "data: target": (
            _activity(b, type="Create", object=f"{b.url}/posts/1", target="data:text/html,x"),
            400,
            "http",
        ),
        "file: inReplyTo": (
            _activity(
                b,
                type="Create",
                object={
                    "id": f"{b.url}/posts/1",
                    "type": "Note",
                    "inReplyTo": "file:///etc/passwd",
                },
                target=subnet,
            ),
            400,
            "http",
        ),
        "relative object": (_activity(b, type="Like", object="/posts/1"), 400, "http"),
        "space in a URI": (_activity(b, type="Like", object=f"{b.url}/a b"), 400, "spaces"),
        "line separator in a URI": (
            _activity(b, type="Like", object=f"{b.url}/a\u2028b"),
            400,
            "spaces",
        ),
        "C1 control in a URI": (
            _activity(b, type="Like", object=f"{b.url}/a\x9bb"),
            400,
            "control",
        ),
        "DEL in a URI": (_activity(b, type="Like", object=f"{b.url}/a\x7fb"), 400, "control"),
        "two actors": (
            {**_activity(b, type="Like", object=subnet), "actor": [me, me]},
            400,
            "list",
        ),
        "a list of objects": (
            _activity(b, type="Like", object=[f"{b.url}/posts/1", f"{b.url}/posts/2"]),
            400,
            "list",
        ),
        "a number as object": (_activity(b, type="Like", object=7), 400, "URI or an object"),
        "no object": (_activity(b, type="Like"), 400, "must name its object"),
        "Accept of a bare id": (_activity(b, type="Accept", object=subnet), 400, "must embed"),
        "Undo of another's Like": (
            _activity(b, type="Undo", object={"type": "Like", "actor": f"{c.url}/actor"}),
            400,
            "own actor",
        ),
        "Create without a subnet": (
            _activity(b, type="Create", object=f"{b.url}/posts/1"),
            400,
            "must name its target",
        ),
        "Create of an object on another host": (
            _activity(b, type="Create", object=f"{c.url}/posts/1", target=subnet),
            400,
            "on the sender's host",
        ),
        "Update of another node's object": (
            _activity(b, type="Update", object={"id": f"{c.url}/posts/1", "type": "Note"}),
            400,
            "on the sender's host",
        ),
        "no actor": (
            {k: v for k, v in _activity(b, type="Like", object=subnet).items() if k != "actor"},
            400,
            "needs an actor",
        ),
    }


async def test_the_door_checks_shape_type_ids_and_uris_before_storing(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, b, c, subnet, _post = trio
    before = await _stored(a)
    for name, (activity, status, reason) in _shape_cases(b, c, subnet).items():
        got, text = await send_raw(b, a, _json(activity))
        assert got == status and reason in text, (name, got, text)
    assert await _stored(a) == before


async def test_one_bad_activity_never_fails_its_neighbours(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, b, _c, subnet, _post = trio
    before = await _stored(a)
    good = [_json(_activity(b, type="Like", object=subnet)) for _ in range(11)]
    bad = good[0].replace(b"/activities/", b"/activities/\\ud800", 1)
    answers = await asyncio.gather(*(send_raw(b, a, body) for body in [*good, bad]))
    assert [status for status, _ in answers] == [202] * 11 + [400], answers
    assert await _stored(a) == before + 11


async def test_the_writer_stores_every_storable_row_of_a_failing_batch(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    """Bypassing the door: a row the database refuses fails its own request only."""
    a, b, _c, _subnet, _post = trio
    async with a.db.transaction() as s:
        (peer,) = [p for p in (await s.execute(Peer.__table__.select())).all() if p.url == b.url]
    writer = InboxWriter(a.db)
    task = asyncio.create_task(writer.run())

    def row(activity_id: str) -> dict[str, Any]:
        now = utcnow()
        return {
            "id": new_id(),
            "activity_id": activity_id,
            "peer_id": peer.id,
            "activity": {"id": activity_id, "type": "Like"},
            "state": "done",
            "attempts": 0,
            "next_attempt_at": now,
            "received_at": now,
        }

    ids = [f"{b.url}/activities/{uuid.uuid4().hex}" for _ in range(5)]
    try:
        results = await asyncio.gather(
            *(writer.accept(row(i)) for i in ids),
            writer.accept(row(f"{b.url}/activities/\ud800")),
            return_exceptions=True,
        )
    finally:
        task.cancel()
    assert results[:5] == [True] * 5, results
    assert isinstance(results[5], Exception)
    stored = await a.all_rows_text()
    assert all(i in stored for i in ids)


def _spellings(c: TestNode, subnet: str, post: str) -> dict[str, dict[str, Any]]:
    """Activities from C about A's subnet or its post, each as the worker would read them."""
    me = f"{c.url}/actor"
    new_id_ = lambda: f"{c.url}/activities/{uuid.uuid4().hex}"  # noqa: E731
    return {
        "compact Join": _activity(c, type="Join", object=subnet),
        "full IRIs": {
            "@context": AS2,
            "@id": new_id_(),
            "@type": f"{AS2}#Join",
            f"{AS2}#actor": {"@id": me},
            f"{AS2}#object": {"@id": subnet},
        },
        "as: prefix": {
            "@context": AS2,
            "id": new_id_(),
            "type": "as:Join",
            "as:actor": {"@id": me},
            "as:object": {"@id": subnet},
        },
        "type as a compact IRI": _activity(c, type="as:Join", object=subnet),
        "type as a full IRI": _activity(c, type=f"{AS2}#Like", object=post),
        "inline context": {
            "@context": [AS2, {"ex": "https://example.org/ns#"}],
            "id": new_id_(),
            "type": "Join",
            "actor": me,
            "object": subnet,
        },
        "expanded document": {
            "@id": new_id_(),
            "@type": [f"{AS2}#Like"],
            f"{AS2}#actor": [{"@id": me}],
            f"{AS2}#object": [{"@id": post}],
        },
        "embedded Group": _activity(c, type="Join", object={"id": subnet, "type": "Group"}),
        "embedded post": _activity(c, type="Like", object={"id": post, "type": "Note"}),
        "one-item list": _activity(c, type="Like", object=post, to=[post]),
        "in the audience list": _activity(
            c, type="Create", object=f"{c.url}/posts/1", audience=[f"{c.url}/x", subnet]
        ),
        "in cc": _activity(c, type="Like", object=f"{c.url}/posts/1", cc=[subnet]),
        "a reply's parent": _activity(
            c,
            type="Create",
            object={"id": f"{c.url}/posts/2", "type": "Note", "inReplyTo": post},
            target=f"{c.url}/subnets/own",
        ),
        "a subnet collection": _activity(c, type="Add", object=me, target=f"{subnet}/moderators"),
        "announce of the post": _activity(c, type="Announce", object=post),
        "undo of a like": _activity(
            c, type="Undo", object={"type": "Like", "actor": me, "object": post}
        ),
        "delete of the post": _activity(c, type="Delete", object={"id": post, "type": "Tombstone"}),
        "post URI with a fragment": _activity(c, type="Like", object=f"{post}#x"),
    }


async def test_the_subnet_gate_holds_however_the_activity_is_written(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, _b, c, subnet, post = trio
    before = await _stored(a)
    for name, activity in _spellings(c, subnet, post).items():
        status, text = await send_raw(c, a, _json(activity))
        assert status == 403 and "not shared with your node" in text, (name, status, text)
    assert await _stored(a) == before


def _cli(*argv: str) -> None:
    result = subprocess.run(  # the admin's terminal, a process apart from the server
        [sys.executable, "-m", "node.cli", *argv], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


async def test_an_unshare_or_peer_removal_by_the_cli_holds_at_once_in_the_running_node(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, b, _c, subnet, post = trio
    status, _ = await send_raw(b, a, _json(_activity(b, type="Like", object=post)))
    assert status == 202  # a partner, remembered as allowed by the door until now
    await asyncio.to_thread(_cli, "subnet", "unshare", str(a.directory), "carers", b.url)
    before = await _stored(a)
    for activity in (
        _activity(b, type="Like", object=post),
        _activity(b, type="Join", object=subnet),
        _activity(b, type="Like", object={"id": post}),
    ):
        status, text = await send_raw(b, a, _json(activity))
        assert status == 403 and "not shared" in text, text
    assert await _stored(a) == before
    # an activity about nothing of the subnet is still taken from an agreed peer…
    status, _ = await send_raw(b, a, _json(_activity(b, type="Like", object=f"{b.url}/posts/1")))
    assert status == 202
    # …until the peering ends: then nothing at all
    await asyncio.to_thread(_cli, "peer", "remove", str(a.directory), b.url)
    before = await _stored(a)
    status, text = await send_raw(b, a, _json(_activity(b, type="Like", object=f"{b.url}/posts/2")))
    assert status == 403, text
    assert await _stored(a) == before


async def test_the_door_accepts_exactly_the_types_the_worker_handles(start_node: StartNode) -> None:
    """`HANDLED` is the documented list; it must match what the running worker dispatches."""
    a = await start_node("Host")
    assert set(a.runner.app[PROCESSOR].handlers) == HANDLED


async def test_the_key_owner_check_holds_however_the_actor_is_written(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    """B signs; the activity claims C as its actor in every spelling: 401, nothing stored."""
    a, b, c, _subnet, _post = trio
    before = await _stored(a)
    them = f"{c.url}/actor"
    spellings = [
        {"actor": them},
        {"actor": {"id": them, "type": "Service"}},
        {f"{AS2}#actor": {"@id": them}},
        {"as:actor": {"@id": them}},
    ]
    for spelling in spellings:
        activity = {
            "@context": AS2,
            "id": f"{c.url}/activities/{uuid.uuid4().hex}",
            "type": "Like",
            "object": f"{c.url}/posts/1",
            **spelling,
        }
        status, text = await send_raw(b, a, _json(activity))
        assert status == 401 and "does not belong" in text, (spelling, status, text)
    assert await _stored(a) == before
