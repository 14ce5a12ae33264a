"""Threads across two trusts, by reference: replies, Likes, edits and deletes — and a delete is
unreadable everywhere at once, acknowledged by each partner, and re-sent until it is."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    act,
    eventually,
    peer_all,
    share,
    shows,
    signed_get,
    subnet_path,
    write,
)
from sqlalchemy import delete, update

from actors.clock import utcnow
from node import manage
from node.app import HOUSEKEEPER
from storage import queues
from storage.models import Erasure, Post, PostRef, Reaction


async def _pair(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, TestNode, str, Browser, Browser]:
    a = await start_node("Host Trust")
    b = await start_node("Partner Trust")
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    await b.add_user("alex", "carer", "Alex")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, subnet, "alex")
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    await eventually(lambda: _members(a, subnet, 2))
    return a, b, subnet, sam, alex


async def _members(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def _rows(node: TestNode, model: type, n: int, exact: bool = False) -> bool:
    count = await node.count(model)
    return count == n if exact else count >= n


async def test_reply_from_partner_is_threaded_on_both_nodes_without_copying_text(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, alex = await _pair(start_node, browser)
    await write(sam, subnet, "Anyone tried the new respite service? (marker Q1)")
    await eventually(lambda: shows(alex, subnet, "marker Q1"))
    question = await a.post_uri("Anyone tried the new respite service? (marker Q1)")
    await write(alex, subnet, "Yes, it was good (marker R1)", in_reply_to=question)
    await eventually(lambda: shows(sam, subnet, "marker R1"))
    _, html = await sam.get(subnet_path(subnet))
    assert "In reply to Sam" in html
    async with a.db.transaction() as s:
        (ref,) = (await s.execute(PostRef.__table__.select())).all()
    assert ref.in_reply_to == question
    assert "marker R1" not in await a.all_rows_text()


async def test_reply_to_a_post_outside_the_subnet_is_refused(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, _alex = await _pair(start_node, browser)
    fields = {"subnet": subnet, "content": "hi", "in_reply_to": f"{a.url}/posts/nope"}
    status, html = await sam.submit(subnet_path(subnet), "/subnet/posts", fields)
    assert status == 400 and "same subnet" in html
    assert await a.count(Post) == 0


async def test_like_from_partner_is_counted_at_the_host_and_can_be_taken_back(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await _pair(start_node, browser)
    await write(sam, subnet, "Good news today (marker L1)")
    await eventually(lambda: shows(alex, subnet, "marker L1"))
    post = await a.post_uri("Good news today (marker L1)")
    assert await act(alex, subnet, "/posts/like", {"object": post}) == 200
    await eventually(lambda: shows(sam, subnet, "Like (1)"))
    assert await b.count(Reaction) == 1
    assert await act(alex, subnet, "/posts/like", {"object": post, "undo": "1"}) == 200
    await eventually(lambda: _rows(a, Reaction, 0, exact=True))
    assert await act(alex, subnet, "/posts/like", {"object": f"{a.url}/posts/nope"}) == 404


async def test_edit_reaches_the_partner_at_once_despite_its_cache(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, alex = await _pair(start_node, browser)
    await write(sam, subnet, "First words (marker E1)")
    await eventually(lambda: shows(alex, subnet, "marker E1"))  # now in B's RAM cache
    post = await a.post_uri("First words (marker E1)")
    status = await act(sam, subnet, "/posts/edit", {"object": post, "content": "Better (E2)"})
    assert status == 200
    seconds = await eventually(lambda: shows(alex, subnet, "Better (E2)"))
    assert seconds < 2.0  # far below the 300 s cache TTL
    assert not await shows(alex, subnet, "marker E1")
    status = await act(alex, subnet, "/posts/edit", {"object": post, "content": "hijack"})
    assert status == 404  # not B's post: B cannot even name it as its own


async def test_delete_is_unreadable_everywhere_at_once_and_acknowledged(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await _pair(start_node, browser)
    await write(sam, subnet, "Too much detail, on reflection (marker D1)")
    await eventually(lambda: shows(alex, subnet, "marker D1"))
    post = await a.post_uri("Too much detail, on reflection (marker D1)")
    assert await act(alex, subnet, "/posts/delete", {"object": post}) == 403  # not hers to delete
    assert await act(sam, subnet, "/posts/delete", {"object": post}) == 200

    assert not await shows(sam, subnet, "marker D1")
    seconds = await eventually(lambda: _rows(b, PostRef, 0, exact=True))
    assert seconds < 2.0
    assert not await shows(alex, subnet, "marker D1")
    status, body = await signed_get(b, post)
    assert status == 410 and b"Tombstone" in body and b"marker" not in body
    status, body = await signed_get(b, f"{a.url}/objects?id={quote(post, safe='')}")
    assert status == 200 and b"marker" not in body
    assert "marker D1" not in await a.all_rows_text()
    await a.runner.app[HOUSEKEEPER].run_once(utcnow())  # its pass checkpoints SQLite's WAL
    for path in a.sqlite_files:  # gone from the home's files too, not just its rows
        assert b"marker D1" not in path.read_bytes(), path
    await eventually(lambda: _acked(a, post))


async def _acked(node: TestNode, object_uri: str) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.execute(Erasure.__table__.select())).all()
    return bool(rows) and all(r.acked_at is not None for r in rows if r.object_uri == object_uri)


async def test_unacknowledged_delete_is_sent_again_until_acknowledged(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, alex = await _pair(start_node, browser)
    await write(sam, subnet, "To be erased (marker X1)")
    await eventually(lambda: shows(alex, subnet, "marker X1"))
    post = await a.post_uri("To be erased (marker X1)")
    await act(sam, subnet, "/posts/delete", {"object": post})
    await eventually(lambda: _acked(a, post))
    async with a.db.transaction() as s:  # as if B's acknowledgement had been lost
        await s.execute(update(Erasure).values(acked_at=None))
    housekeeper = a.runner.app[HOUSEKEEPER]
    assert await housekeeper.resend_erasures(utcnow()) == 0  # not due yet
    housekeeper.resend_after = timedelta(0)  # as if five minutes had passed
    assert await housekeeper.resend_erasures(utcnow()) == 1
    await eventually(lambda: _acked(a, post))


async def test_gdpr_erasure_event_without_the_post_row_still_reaches_every_partner(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """Another part of the node (account erasure) deletes rows and emits `post.deleted` with the
    post's id only: partners still drop the reference and acknowledge."""
    a, b, subnet, sam, alex = await _pair(start_node, browser)
    await write(sam, subnet, "Erase me with my account (marker G1)")
    await eventually(lambda: shows(alex, subnet, "marker G1"))
    post = await a.post_uri("Erase me with my account (marker G1)")
    async with a.db.transaction() as s:
        await s.execute(delete(Post))
        await queues.add_event(s, "post.deleted", {"post_id": post.rsplit("/", 1)[1]}, utcnow())
    await eventually(lambda: _rows(b, PostRef, 0, exact=True))
    await eventually(lambda: _acked(a, post))
    assert await b.count(PostRef) == 0
    assert not await shows(alex, subnet, "marker G1")  # gone from the partner's page
