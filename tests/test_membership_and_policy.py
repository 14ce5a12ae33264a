"""Membership and per-subnet policy across two trusts, through the clinicians' and admins'
pages: join approval, removal, leaving, staff-only posting, pre-moderation and retention."""

from __future__ import annotations

import uuid
from datetime import timedelta

import aiohttp
import pytest
from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    act,
    eventually,
    host_and_partner,
    moderate,
    moderate_path,
    subnet_path,
    write,
)
from sqlalchemy import update

from actors.clock import utcnow
from actors.errors import Invalid
from actors.retention import PolicyChange
from node import manage
from storage.models import Post, PostRef, Subnet


async def _page_has(person: Browser, path: str, text: str) -> bool:
    status, html = await person.get(path)
    return status == 200 and text in html


async def test_partner_clinician_adds_a_person_and_the_host_moderator_approves_the_join(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await manage.subnet_policy(a.directory, "carers", PolicyChange(join_approval=True))
    status, _ = await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    assert status == 200
    await eventually(lambda: _page_has(people["dr-ahmed"], moderate_path(subnet), "Approve Alex"))
    assert await a.members_in(subnet) == 3  # alex is pending, not active
    await write(people["alex"], subnet, "Hello before approval (marker J1)")
    await eventually(lambda: _rejected(a))
    assert await a.count(PostRef) == 0

    alex = await b.member_uri("alex", subnet)
    status, _ = await moderate(people["dr-ahmed"], subnet, {"action": "approve", "member": alex})
    assert status == 200 and await a.members_in(subnet) == 4
    await write(people["alex"], subnet, "Hello after approval (marker J2)")
    await eventually(lambda: _page_has(people["sam"], subnet_path(subnet), "marker J2"))
    _, html = await people["sam"].get(subnet_path(subnet))
    assert "marker J1" not in html


async def _rejected(node: TestNode) -> bool:
    return "'rejected'" in await node.all_rows_text()


async def test_moderator_removes_a_partner_member_and_their_node_drops_the_membership(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await eventually(lambda: _active(a, subnet, 4))
    alex = await b.member_uri("alex", subnet)
    status, _ = await moderate(people["dr-ahmed"], subnet, {"action": "remove", "member": alex})
    assert status == 200
    await eventually(lambda: _active(b, subnet, 1))  # only nurse-kim is left on B
    status, _ = await people["alex"].get(subnet_path(subnet))
    assert status == 404
    status, _ = await people["sam"].get(moderate_path(subnet))
    assert status == 404  # a carer has no members page …
    doctor = await a.member_uri("dr-ahmed", subnet)
    fields = {"subnet": subnet, "action": "remove", "member": doctor}
    status, _ = await people["sam"].submit(subnet_path(subnet), "/moderate", fields)
    assert status == 403  # … and moderates nothing
    assert await a.members_in(subnet) == 3


async def _active(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def test_leaving_a_partners_subnet_reaches_its_home(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, people = await host_and_partner(start_node, browser)
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await eventually(lambda: _active(a, subnet, 4))
    assert await act(people["alex"], subnet, "/subnet/leave", {}) == 200
    await eventually(lambda: _active(a, subnet, 3))
    assert not await _page_has(people["alex"], "/", "Carers")


async def test_staff_only_subnet_refuses_a_partners_patient_post_and_takes_the_clinicians(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser, posting="staff")
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await eventually(lambda: _active(a, subnet, 4))
    fields = {"subnet": subnet, "content": "Can I post here?"}
    status, html = await people["alex"].submit(subnet_path(subnet), "/subnet/posts", fields)
    assert status == 400 and "Only staff can post" in html
    assert await b.count(Post) == 0
    await write(people["nurse-kim"], subnet, "Clinic times changed (marker S1)")
    await eventually(lambda: _page_has(people["sam"], subnet_path(subnet), "marker S1"))


async def test_premoderated_posts_wait_for_the_host_moderator(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser, premoderation=True)
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await eventually(lambda: _active(a, subnet, 4))
    await write(people["sam"], subnet, "Held at home (marker M1)")
    await write(people["alex"], subnet, "Held from a partner (marker M2)")
    moderation = moderate_path(subnet)
    await eventually(lambda: _page_has(people["dr-ahmed"], moderation, "marker M2"))
    assert await _page_has(people["dr-ahmed"], moderation, "marker M1")
    assert not await _page_has(people["sam"], subnet_path(subnet), "marker M2")
    assert not await _page_has(people["alex"], subnet_path(subnet), "marker M1")
    assert not await _page_has(people["nurse-kim"], subnet_path(subnet), "marker M2")  # held
    assert "marker M2" in await b.all_rows_text()  # at its home only
    assert "marker M2" not in await a.all_rows_text()

    async with a.db.transaction() as s:
        held_uri = (await s.execute(PostRef.__table__.select())).one().object_uri
        sam_post = (await s.execute(Post.__table__.select())).one().id
    for target in (held_uri, f"{a.url}/posts/{sam_post}"):
        status, _ = await moderate(
            people["dr-ahmed"], subnet, {"action": "release", "object": target}
        )
        assert status == 200
    await eventually(lambda: _page_has(people["alex"], subnet_path(subnet), "marker M1"))
    await eventually(lambda: _page_has(people["sam"], subnet_path(subnet), "marker M2"))
    await eventually(lambda: _page_has(people["nurse-kim"], subnet_path(subnet), "marker M2"))


async def test_retention_erases_old_posts_at_home_and_references_everywhere(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await eventually(lambda: _active(a, subnet, 4))
    await write(people["sam"], subnet, "Old news from the host (marker T1)")
    await write(people["alex"], subnet, "Old news from the partner (marker T2)")
    await eventually(lambda: _refs(a, 1))
    await eventually(lambda: _refs(b, 1))
    await manage.subnet_policy(a.directory, "carers", PolicyChange(retention_days=30))
    assert await manage.retention_run(a.directory) == 0  # nothing is 30 days old yet
    for node in (a, b):  # as if a month had passed
        async with node.db.transaction() as s:
            old = utcnow() - timedelta(days=31)
            await s.execute(update(Post).values(published=old))
            await s.execute(update(PostRef).values(published=old))
    assert await manage.retention_run(a.directory) == 2
    await eventually(lambda: _refs(b, 0))
    await eventually(lambda: _no_text(b, "marker T2"))  # the author's home erased it too
    assert "marker T1" not in await a.all_rows_text()


async def _refs(node: TestNode, n: int) -> bool:
    return await node.count(PostRef) == n


async def _no_text(node: TestNode, text: str) -> bool:
    return text not in await node.all_rows_text()


async def test_bad_policy_values_are_refused_and_change_nothing(start_node: StartNode) -> None:
    a = await start_node("Host Trust")
    await manage.subnet_create(a.directory, "carers", "Carers")
    for change in (PolicyChange(posting="everyone"), PolicyChange(retention_days=-1)):
        with pytest.raises(Invalid):
            await manage.subnet_policy(a.directory, "carers", change)
    async with a.db.transaction() as s:
        subnet = (await s.execute(Subnet.__table__.select())).one()
    assert subnet.posting_policy == "all" and subnet.retention_days is None


async def test_undo_of_a_join_takes_the_member_out_at_the_home(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, _ = await host_and_partner(start_node, browser)
    kim = await b.member_uri("nurse-kim", subnet)
    undo = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{b.url}/activities/{uuid.uuid4().hex}",
        "type": "Undo",
        "actor": kim,
        "object": {"type": "Join", "actor": kim, "object": subnet},
    }
    async with aiohttp.ClientSession() as http:
        sent = await b.signed_client(http).post(
            f"{a.url}/inbox", undo, signer=kim, scheme="rfc9421"
        )
    assert sent.status == 202
    await eventually(lambda: _active(a, subnet, 2))  # dr-ahmed and sam remain
