"""A Delete that overtakes the Create of its object in flight does not leave a ghost post: the
receiving node remembers a Delete even for an object it does not know, and refuses the late
Create (or Update) of it. (The sender keeps activities about one object in order per peer too:
tests/federation/test_delivery.py.)"""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
from conftest import StartNode, TestNode, eventually, peer_all, share
from sqlalchemy import select

from node import manage
from storage.models import InboxItem, PostRef


def _activity(sender: TestNode, kind: str, actor: str, object_uri: str, subnet: str) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.url}/activities/{uuid.uuid4().hex}",
        "type": kind,
        "actor": actor,
        "object": object_uri,
        "target": subnet,
        "to": [subnet],
    }


async def _send(sender: TestNode, receiver: TestNode, activity: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http:
        response = await sender.signed_client(http).post(
            f"{receiver.url}/inbox", activity, signer=activity["actor"], scheme="rfc9421"
        )
    assert response.status == 202, response.body[:200]


async def _item(node: TestNode, activity_id: str) -> InboxItem | None:
    async with node.db.transaction() as s:
        return await s.scalar(select(InboxItem).where(InboxItem.activity_id == activity_id))


async def _finished(node: TestNode, activity_id: str) -> bool:
    item = await _item(node, activity_id)
    return item is not None and item.state != "pending"


async def _refs(node: TestNode) -> set[str]:
    async with node.db.transaction() as s:
        return set((await s.scalars(select(PostRef.object_uri))).all())


async def test_a_create_arriving_after_the_delete_of_its_object_is_refused(
    start_node: StartNode,
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await b.add_user("alex", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(b.directory, subnet, "alex")
    alex = await b.member_uri("alex", subnet)

    async def joined() -> bool:
        return alex in await a.all_rows_text()

    await eventually(joined)

    # in order: the Create is accepted (the test can fail)
    kept = f"{b.url}/posts/{uuid.uuid4().hex}"
    create = _activity(b, "Create", alex, kept, subnet)
    await _send(b, a, create)
    await eventually(lambda: _finished(a, create["id"]))
    assert kept in await _refs(a)

    # overtaken: the Delete of a post A never heard of, then its Create
    ghost = f"{b.url}/posts/{uuid.uuid4().hex}"
    delete = _activity(b, "Delete", f"{b.url}/actor", ghost, subnet)
    delete["object"] = {"id": ghost, "type": "Tombstone"}
    await _send(b, a, delete)
    await eventually(lambda: _finished(a, delete["id"]))
    late = _activity(b, "Create", alex, ghost, subnet)
    await _send(b, a, late)
    await eventually(lambda: _finished(a, late["id"]))
    item = await _item(a, late["id"])
    assert item is not None and item.state == "rejected"
    assert item.last_error == "the object was deleted"
    assert ghost not in await _refs(a)

    # nor does a late Update bring it back
    update = _activity(b, "Update", f"{b.url}/actor", ghost, subnet)
    update["object"] = {"id": ghost, "type": "Note"}
    await _send(b, a, update)
    await eventually(lambda: _finished(a, update["id"]))
    item = await _item(a, update["id"])
    assert item is not None and item.state == "rejected"
    assert ghost not in await _refs(a)
