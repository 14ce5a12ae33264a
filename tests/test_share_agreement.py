"""Sharing is an agreement between nodes: offered by the host, accepted or declined by the peer,
ended by unsharing or by removing the peer — and then every trace of the subnet goes at once."""

from __future__ import annotations

import json
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
from storage.models import Membership, Post, PostRef, RemoteActor, ShareOffer, SubnetPartner

TRAIL = ("audit", "inbox_item", "delivery", "event")
"""The audit log and the finished queue rows: URIs of what happened, never content."""


async def _partner_states(node: TestNode) -> list[str]:
    async with node.db.transaction() as s:
        return [row.state for row in (await s.execute(SubnetPartner.__table__.select())).all()]


async def test_invitation_waits_for_the_peer_and_content_stays_closed_until_accepted(
    start_node: StartNode,
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await b.add_user("alex", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    assert await manage.subnet_share(a.directory, "carers", b.url) is True
    assert await manage.subnet_share(a.directory, "carers", b.url) is False

    async def offered() -> bool:
        return len(await manage.share_list(b.directory)) == 1

    await eventually(offered)
    ((offer, peer),) = await manage.share_list(b.directory)
    assert offer.subnet_uri == subnet and offer.name == "Carers" and peer.url == a.url
    assert await _partner_states(a) == ["invited"]
    with pytest.raises(Exception, match="not shared with this trust"):
        await manage.subnet_add(b.directory, subnet, "alex")

    await manage.share_answer(b.directory, subnet, accept=True)
    await eventually(lambda: _has_state(a, "accepted"))
    status, body = await signed_get(b, subnet)
    group = json.loads(body)
    assert status == 200
    assert group["partners"] == [{"id": f"{b.url}/actor", "keyFingerprint": await _fingerprint(b)}]
    await eventually(lambda: manage.is_partner_of(b.directory, subnet))
    assert await manage.subnet_add(b.directory, subnet, "alex") == subnet


async def test_declined_invitation_shares_nothing_and_answering_twice_is_refused(
    start_node: StartNode,
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_share(a.directory, "carers", b.url)

    async def offered() -> bool:
        return len(await manage.share_list(b.directory)) == 1

    await eventually(offered)
    await manage.share_answer(b.directory, subnet, accept=False)
    await eventually(lambda: _has_state(a, "declined"))
    assert await manage.share_list(b.directory) == []
    with pytest.raises(Exception, match="no pending share invitation"):
        await manage.share_answer(b.directory, subnet, accept=True)
    status, _ = await signed_get(b, subnet)
    assert status == 404
    assert await b.count(RemoteActor) == 0 and await b.count(ShareOffer) == 0


async def _has_state(node: TestNode, state: str) -> bool:
    return state in await _partner_states(node)


async def _fingerprint(node: TestNode) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{node.url}/actor") as response:
        return str((await response.json(content_type=None))["keyFingerprint"])


async def _shared_three_ways(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, TestNode, TestNode, str, str, str]:
    """A hosts carers, shared with B and C; sam (A) and alex (B) have each posted."""
    a = await start_node("Host")
    b = await start_node("Partner B")
    c = await start_node("Partner C")
    await peer_all(a, b, c)
    await a.add_user("sam", "carer")
    await b.add_user("alex", "carer")
    await c.add_user("jo", "patient")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await share(a, "carers", c)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, subnet, "alex")
    await manage.subnet_add(c.directory, subnet, "jo")
    await eventually(lambda: _members(a, subnet, 3))
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    await write(sam, subnet, "From the host (marker H1)")
    await write(alex, subnet, "From partner B (marker P2)")
    await eventually(lambda: _refs(c, subnet, 2))
    sam_post = await _only_post_uri(a)
    alex_post = await _only_post_uri(b)
    return a, b, c, subnet, sam_post, alex_post


async def _members(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def _refs(node: TestNode, subnet: str, n: int) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.execute(PostRef.__table__.select())).all()
    return len([row for row in rows if row.subnet_uri == subnet]) == n


async def _only_post_uri(node: TestNode) -> str:
    async with node.db.transaction() as s:
        (row,) = (await s.execute(Post.__table__.select())).all()
    return f"{node.url}/posts/{row.id}"


async def _holds_nothing_of(node: TestNode, subnet: str) -> bool:
    """Nothing of the subnet is left, bar the audit trail, the finished queue rows that carried
    its activities (URIs only) and posts its own people wrote (their home is here)."""
    held = await node.all_rows_text(skip=(*TRAIL, "post"))
    return subnet not in held and await node.count(PostRef) == 0


async def test_unshared_partner_drops_everything_and_every_node_refuses_it(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, c, subnet, sam_post, alex_post = await _shared_three_ways(start_node, browser)
    dropped = await manage.subnet_unshare(a.directory, "carers", c.url)
    assert dropped == 0  # C's people had written nothing
    await eventually(lambda: _holds_nothing_of(c, subnet))
    assert await c.count(ShareOffer) == 0 and await c.count(Membership) == 0

    async def b_knows_c_left() -> bool:
        async with b.db.transaction() as s:
            group = await s.get(RemoteActor, subnet)
        return group is not None and f"{c.url}/actor" not in group.partners

    await eventually(b_knows_c_left)
    for url in (subnet, sam_post, f"{a.url}/objects?id={quote(sam_post, safe='')}"):
        status, body = await signed_get(c, url)
        assert status in (200, 404) and b"marker" not in body, (url, status)
        assert status == 404 or url.startswith(f"{a.url}/objects")
    status, body = await signed_get(c, f"{b.url}/objects?id={quote(alex_post, safe='')}")
    assert status == 200 and b"marker" not in body
    status, _ = await signed_get(c, alex_post)
    assert status == 404
    alex = quote(await b.member_uri("alex", subnet), safe="")
    status, body = await signed_get(b, f"{a.url}/objects?id={quote(sam_post, safe='')}&for={alex}")
    assert b"marker H1" in body  # B is still a partner (read for one of its members)


async def test_unsharing_a_partner_drops_its_posts_and_members_at_the_host(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, c, subnet, _, alex_post = await _shared_three_ways(start_node, browser)
    assert await manage.subnet_unshare(a.directory, "carers", b.url) == 1
    assert alex_post not in await a.all_rows_text(skip=TRAIL)
    assert f"{b.url}/members/" not in await a.all_rows_text(skip=TRAIL)
    await eventually(lambda: _holds_nothing_of(b, subnet))
    await eventually(lambda: _refs(c, subnet, 1))  # C dropped alex's post, kept sam's
    for reader in (a, c):
        status, body = await signed_get(reader, f"{b.url}/objects?id={quote(alex_post, safe='')}")
        assert status == 200 and b"marker" not in body
    with pytest.raises(Exception, match="not shared"):
        await manage.subnet_unshare(a.directory, "carers", b.url)


async def test_removed_peer_loses_everything_and_is_refused(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, _c, subnet, sam_post, alex_post = await _shared_three_ways(start_node, browser)
    assert await manage.peer_remove(b.directory, a.url) == 1  # sam's post
    assert await _holds_nothing_of(b, subnet)
    assert a.url not in await b.all_rows_text(skip=(*TRAIL, "post"))
    status, _ = await signed_get(a, f"{b.url}/objects?id={quote(alex_post, safe='')}")
    assert status == 403
    await manage.peer_remove(a.directory, b.url)
    status, _ = await signed_get(b, f"{a.url}/objects?id={quote(sam_post, safe='')}")
    assert status == 403
    assert b.url not in await a.all_rows_text(skip=(*TRAIL, "post"))
