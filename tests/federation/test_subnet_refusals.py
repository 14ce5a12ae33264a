"""Activities a node may not send about a subnet are refused when processed, with the reason
recorded, and change nothing: a peer that is not a partner, or a partner overstepping its role.
Every case is a real signed request between real nodes."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    signed_get,
    write,
)

from node import manage
from storage.models import InboxItem, Membership, Post, PostRef, Reaction, SubnetPartner


async def _send(sender: TestNode, to: TestNode, activity: dict[str, Any]) -> str:
    """POST an activity signed by the sender's instance actor; returns the stored state, or
    "refused" when the inbox answered 403 (and then nothing may have been stored)."""
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.url}/activities/{uuid.uuid4().hex}",
        "actor": f"{sender.url}/actor",
        **activity,
    }
    async with aiohttp.ClientSession() as http:
        response = await sender.signed_client(http).post(
            f"{to.url}/inbox", activity, signer=f"{sender.url}/actor", scheme="rfc9421"
        )
    if response.status == 403:
        assert activity["id"] not in await to.all_rows_text()
        return "refused"
    assert response.status == 202, response.body

    async def processed() -> bool:
        async with to.db.transaction() as s:
            rows = (await s.execute(InboxItem.__table__.select())).all()
        return any(r.activity_id == activity["id"] and r.state != "pending" for r in rows)

    await eventually(processed)
    async with to.db.transaction() as s:
        rows = (await s.execute(InboxItem.__table__.select())).all()
    (row,) = [r for r in rows if r.activity_id == activity["id"]]
    return str(row.state)


@pytest.fixture
async def trio(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, TestNode, TestNode, str, str]:
    """A hosts carers shared with B; C is a peer of both but no partner. sam has posted."""
    a = await start_node("Host")
    b = await start_node("Partner")
    c = await start_node("Stranger")
    await peer_all(a, b, c)
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    await write(sam, subnet, "The host's post (marker RF1)")
    await eventually(lambda: _count(b, PostRef, 1))
    return a, b, c, subnet, await a.post_uri("The host's post (marker RF1)")


async def _member_known(node: TestNode, subnet: str, member: str) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.execute(Membership.__table__.select())).all()
    return any(r.subnet_uri == subnet and r.member_uri == member for r in rows)


async def _count(node: TestNode, model: type, n: int) -> bool:
    return await node.count(model) == n


async def _snapshot(node: TestNode) -> dict[str, int]:
    return {
        model.__name__: await node.count(model)
        for model in (Post, PostRef, Membership, Reaction, SubnetPartner)
    }


async def test_non_partner_activities_about_the_subnet_are_rejected_and_change_nothing(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, _b, c, subnet, post = trio
    before = await _snapshot(a)
    cases = [
        {"type": "Create", "object": f"{c.url}/posts/{uuid.uuid4().hex}", "target": subnet},
        {"type": "Like", "object": post},
        {"type": "Join", "object": subnet},
        {"type": "Accept", "object": {"type": "Invite", "actor": subnet, "object": subnet}},
        {"type": "Delete", "object": post},
    ]
    outcomes = [await _send(c, a, activity) for activity in cases]
    # about the subnet or one of its posts: refused at the door (403), nothing stored
    assert outcomes == ["refused"] * len(cases)
    assert await _snapshot(a) == before
    assert "marker RF1" in await a.all_rows_text()


async def test_a_partner_cannot_act_as_the_host_or_an_author(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, b, _c, subnet, post = trio
    before = await _snapshot(a)
    cases = [
        {"type": "Delete", "object": post},  # not its post, not a moderator
        {"type": "Remove", "object": f"{a.url}/actor", "target": subnet},  # not the home
        {"type": "Announce", "object": post},  # only a subnet's home announces
        {"type": "Invite", "object": subnet, "target": f"{a.url}/actor"},  # not a Group
        {"type": "Accept", "object": {"type": "Invite", "actor": subnet, "object": subnet}},
    ]
    for activity in cases:
        assert await _send(b, a, activity) == "rejected", activity["type"]
    assert await _snapshot(a) == before


async def test_fetches_are_refused_with_the_right_status(
    trio: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, b, c, subnet, post = trio
    member = await a.member_uri("sam", subnet)
    for url, status in (
        (subnet, 404),
        (post, 404),
        (member, 404),
        (f"{a.url}/subnets/nope", 404),
        (f"{a.url}/objects", 400),
    ):
        got, body = await signed_get(c, url)
        assert got == status and b"marker" not in body, url
    assert (await signed_get(b, member))[0] == 200  # a partner sees the member's persona
    # a partner reads a post only for one of its members of the post's subnet (issue 9 item 2)
    assert (await signed_get(b, post))[0] == 404
    await b.add_user("alex", "carer")
    await manage.subnet_add(b.directory, subnet, "alex")
    reader = await b.member_uri("alex", subnet)
    await eventually(lambda: _member_known(a, subnet, reader))
    assert (await signed_get(b, f"{post}?for={quote(reader, safe='')}"))[0] == 200
