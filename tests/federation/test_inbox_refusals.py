"""The inbox refuses what it must, with the right status and a message, and stores nothing."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any, Literal

import aiohttp
import pytest
from conftest import StartNode, TestNode, eventually, peer_all, share
from cryptography.hazmat.primitives.asymmetric import rsa

from actors.clock import utcnow
from federation.keys import NodeKeys
from federation.signatures import sign_request
from node import manage
from storage.models import InboxItem, PostRef


def _create(sender: TestNode, actor: str, subnet_uri: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.url}/activities/{uuid.uuid4().hex}",
        "type": "Create",
        "actor": actor,
        "object": f"{sender.url}/posts/{uuid.uuid4().hex}",
        "target": subnet_uri,
        "to": [subnet_uri],
    }


def _signed(
    url: str, body: bytes, key_id: str, key: Any, scheme: Literal["cavage", "rfc9421"] = "cavage"
) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_request(
            "POST", url, headers, body, key_id=key_id, private_key=key, scheme=scheme, now=utcnow()
        )
    )
    return headers


async def _two_partners(
    start_node: StartNode, host_settings: dict[str, Any] | None = None
) -> tuple[TestNode, TestNode, str, str]:
    a = await start_node("Host Trust", **(host_settings or {}))
    b = await start_node("Partner Trust")
    await peer_all(a, b)
    await b.add_user("alex", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(b.directory, subnet, "alex")
    actor = await b.member_uri("alex", subnet)
    # B's Join is on its way: wait until A has it, so that a refusal is not for want of it.
    # Other set-up activities may still land; each test looks for its own activity's id.
    await eventually(lambda: _has_member(a, subnet, actor))
    return a, b, subnet, actor


async def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    data = io.BytesIO(body) if len(body) > 1024 * 1024 else body
    async with aiohttp.ClientSession() as http, http.post(url, data=data, headers=headers) as r:
        return r.status, await r.text()


async def test_unsigned_post_is_401_and_stores_nothing(start_node: StartNode) -> None:
    a, b, subnet, actor = await _two_partners(start_node)
    body = json.dumps(_create(b, actor, subnet)).encode()
    status, text = await _post(
        f"{a.url}/inbox", body, {"Content-Type": "application/activity+json"}
    )
    assert status == 401 and "signature" in text
    assert json.loads(body)["id"] not in await _activity_ids(a)


async def test_post_signed_by_a_node_that_is_not_a_peer_is_403(start_node: StartNode) -> None:
    a, _b, subnet, _actor = await _two_partners(start_node)
    stranger = await start_node("Not Agreed")
    fake_actor = f"{stranger.url}/actor"
    activity = _create(stranger, fake_actor, subnet)
    body = json.dumps(activity).encode()
    keys = NodeKeys.load(stranger.directory)
    headers = _signed(f"{a.url}/inbox", body, f"{fake_actor}#main-key", keys.rsa)
    status, text = await _post(f"{a.url}/inbox", body, headers)
    assert status == 403 and "federate" in text
    assert json.loads(body)["id"] not in await _activity_ids(a)


@pytest.mark.parametrize(
    "bad_origin",
    ["https://partner.example:port", "https://[partner.example", "https://partner.example:99999"],
    ids=["a port that is not a number", "an unclosed bracket", "a port out of range"],
)
async def test_a_key_id_that_is_not_a_url_is_refused_not_a_crash(
    start_node: StartNode, bad_origin: str
) -> None:
    a, b, subnet, actor = await _two_partners(start_node)
    body = json.dumps(_create(b, actor, subnet)).encode()
    bad_key = actor.replace(b.url, bad_origin) + "#main-key"
    headers = _signed(f"{a.url}/inbox", body, bad_key, NodeKeys.load(b.directory).rsa)
    status, text = await _post(f"{a.url}/inbox", body, headers)
    assert status == 403 and "does not federate with the signer's node" in text
    assert json.loads(body)["id"] not in await _activity_ids(a)


async def test_body_tampered_after_signing_is_401(start_node: StartNode) -> None:
    a, b, subnet, actor = await _two_partners(start_node)
    body = json.dumps(_create(b, actor, subnet)).encode()
    headers = _signed(f"{a.url}/inbox", body, f"{actor}#main-key", NodeKeys.load(b.directory).rsa)
    tampered = body.replace(b"Create", b"Delete")
    status, text = await _post(f"{a.url}/inbox", tampered, headers)
    assert status == 401 and "digest" in text.lower()
    assert json.loads(body)["id"] not in await _activity_ids(a)


async def test_signature_from_a_key_the_actor_does_not_own_is_401(start_node: StartNode) -> None:
    a, b, subnet, actor = await _two_partners(start_node)
    body = json.dumps(_create(b, actor, subnet)).encode()
    wrong = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = _signed(f"{a.url}/inbox", body, f"{actor}#main-key", wrong)
    status, _ = await _post(f"{a.url}/inbox", body, headers)
    assert status == 401
    assert json.loads(body)["id"] not in await _activity_ids(a)


async def test_activity_signed_for_another_actor_is_401(start_node: StartNode) -> None:
    a, b, subnet, actor = await _two_partners(start_node)
    body = json.dumps(_create(b, f"{b.url}/actor", subnet)).encode()
    headers = _signed(f"{a.url}/inbox", body, f"{actor}#main-key", NodeKeys.load(b.directory).rsa)
    status, text = await _post(f"{a.url}/inbox", body, headers)
    assert status == 401 and "actor" in text
    assert json.loads(body)["id"] not in await _activity_ids(a)


async def test_oversized_body_is_413(start_node: StartNode) -> None:
    a, b, subnet, actor = await _two_partners(start_node)
    activity = _create(b, actor, subnet)
    activity["padding"] = "x" * (1024 * 1024)
    body = json.dumps(activity).encode()
    headers = _signed(f"{a.url}/inbox", body, f"{actor}#main-key", NodeKeys.load(b.directory).rsa)
    status, _ = await _post(f"{a.url}/inbox", body, headers)
    assert status == 413
    assert activity["id"] not in await _activity_ids(a)


async def test_malformed_json_and_deep_nesting_are_400(start_node: StartNode) -> None:
    a, b, _, actor = await _two_partners(start_node)
    key = NodeKeys.load(b.directory).rsa
    for body in (b"{not json", b"[1, 2, 3]", b'{"a":' * 500 + b"1" + b"}" * 500):
        headers = _signed(f"{a.url}/inbox", body, f"{actor}#main-key", key)
        status, text = await _post(f"{a.url}/inbox", body, headers)
        assert status == 400, (body[:20], status, text)
    assert await a.count(InboxItem) <= 2  # only the Accept and Join that set the scenario up


async def test_replayed_activity_is_accepted_once_and_processed_once(start_node: StartNode) -> None:
    a, b, subnet, actor = await _two_partners(start_node)
    activity = _create(b, actor, subnet)
    body = json.dumps(activity).encode()
    key = NodeKeys.load(b.directory).ed25519
    answers = []
    for _ in range(3):
        headers = _signed(f"{a.url}/inbox", body, f"{actor}#ed25519-key", key, scheme="rfc9421")
        answers.append(await _post(f"{a.url}/inbox", body, headers))
    assert [status for status, _ in answers] == [202, 202, 202]
    assert [json.loads(text)["duplicate"] for _, text in answers] == [False, True, True]
    await eventually(lambda: _processed(a, activity["id"]))
    assert (await _activity_ids(a)).count(activity["id"]) == 1
    async with a.db.transaction() as s:
        refs = (await s.execute(PostRef.__table__.select())).all()
    assert [ref.object_uri for ref in refs] == [activity["object"]]


async def _activity_ids(node: TestNode) -> list[str]:
    async with node.db.transaction() as s:
        return [row.activity_id for row in (await s.execute(InboxItem.__table__.select())).all()]


async def _processed(node: TestNode, activity_id: str) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.execute(InboxItem.__table__.select())).all()
    return any(row.activity_id == activity_id and row.state == "done" for row in rows)


async def _has_member(node: TestNode, subnet: str, actor: str) -> bool:
    return actor in await node.all_rows_text()
