"""A subnet's home can make a clinician at a partner trust one of its moderators; their
removals are accepted by the home and announced to every partner. Nobody else's are."""

from __future__ import annotations

import uuid

import aiohttp
from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    host_and_partner,
    moderate,
    subnet_path,
    write,
)

from storage.models import InboxItem, PostRef


async def _text_gone(node: TestNode, text: str) -> bool:
    return text not in await node.all_rows_text()


async def _role(node: TestNode, member: str) -> str:
    for line in (await node.all_rows_text(skip=("audit", "event", "inbox_item"))).splitlines():
        if member in line and "'moderator'" in line:
            return "moderator"
    return "member"


async def test_partner_clinician_granted_moderation_removes_posts_everywhere(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    kim = await b.member_uri("nurse-kim", subnet)
    status, _ = await moderate(people["dr-ahmed"], subnet, {"action": "grant", "member": kim})
    assert status == 200
    await eventually(lambda: _is_moderator_at(b, kim))
    await write(people["sam"], subnet, "Host post to moderate (marker RM1)")
    await write(people["alex"], subnet, "Partner post to moderate (marker RM2)")
    await eventually(lambda: _refs(a, 1))
    await eventually(lambda: _refs(b, 1))

    async with b.db.transaction() as s:
        sam_post = (await s.execute(PostRef.__table__.select())).one().object_uri
    fields = {"subnet": subnet, "object": sam_post}
    status, _ = await people["nurse-kim"].submit(subnet_path(subnet), "/posts/delete", fields)
    assert status == 200
    await eventually(lambda: _text_gone(a, "marker RM1"))  # the home accepted and erased it
    await eventually(lambda: _refs(b, 0))  # and announced the removal to its partners

    async with a.db.transaction() as s:
        alex_post = (await s.execute(PostRef.__table__.select())).one().object_uri
    fields = {"subnet": subnet, "object": alex_post}
    status, _ = await people["nurse-kim"].submit(subnet_path(subnet), "/posts/delete", fields)
    assert status == 200
    await eventually(lambda: _text_gone(b, "marker RM2"))
    await eventually(lambda: _refs(a, 0))


async def _is_moderator_at(node: TestNode, member: str) -> bool:
    return await _role(node, member) == "moderator"


async def _refs(node: TestNode, n: int) -> bool:
    return await node.count(PostRef) == n


async def test_delete_from_a_partner_member_who_is_not_a_moderator_is_rejected(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await write(people["sam"], subnet, "Not yours to remove (marker NM1)")
    await eventually(lambda: _refs(b, 1))
    async with b.db.transaction() as s:
        sam_post = (await s.execute(PostRef.__table__.select())).one().object_uri
    fields = {"subnet": subnet, "object": sam_post}
    status, _ = await people["nurse-kim"].submit(subnet_path(subnet), "/posts/delete", fields)
    assert status == 403  # a partner's clinician is not a moderator until the home says so
    alex = await b.member_uri("alex", subnet)
    delete = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{b.url}/activities/{uuid.uuid4().hex}",
        "type": "Delete",
        "actor": alex,
        "object": sam_post,
    }
    async with aiohttp.ClientSession() as http:
        sent = await b.signed_client(http).post(
            f"{a.url}/inbox", delete, signer=alex, scheme="rfc9421"
        )
    assert sent.status == 202
    await eventually(lambda: _rejected(a, delete["id"]))
    assert "marker NM1" in await a.all_rows_text() and await b.count(PostRef) == 1


async def _rejected(node: TestNode, activity_id: str) -> bool:
    async with node.db.transaction() as s:
        items = (await s.execute(InboxItem.__table__.select())).all()
    return any(i.activity_id == activity_id and i.state == "rejected" for i in items)
