"""Reports and moderation across three trusts, over real HTTP between real nodes.

A hosts "carers", shared with B and C. Members on B and C report a post written on B; the
third report hides it on A, B and C; a moderator from partner C removes it with a reason, and
the home erases it everywhere. Refusals: a member who is not a moderator, a node that is not a
partner, and a partner's moderator of another subnet each get a clear refusal for every
moderator action, and nothing changes. Whatever the home decides closes the reports on every
trust that holds them, with the outcome; a post a moderator hid does not wait in the queue.
"""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    moderate,
    moderate_path,
    peer_all,
    share,
    shows,
    subnet_path,
    write,
)
from sqlalchemy import select

from actors.retention import PolicyChange
from node import manage
from storage.models import InboxItem, Post, PostRef, Report

ACTIONS = ("hide", "show", "remove", "warn", "suspend", "lift", "approve", "reject")


async def _three_trusts(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, TestNode, TestNode, str, dict[str, Browser]]:
    a, b, c = (
        await start_node("Host"),
        await start_node("Bee Trust"),
        await start_node("Sea Trust"),
    )
    await peer_all(a, b, c)
    people = [
        (a, "dr-ahmed", "clinician"),
        (a, "sam", "carer"),
        (b, "alex", "carer"),
        (b, "bea", "patient"),
        (c, "dr-cole", "clinician"),
        (c, "jo", "carer"),
        (c, "cara", "carer"),
    ]
    for node, username, role in people:
        await node.add_user(username, role, username.replace("-", " ").title())
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await share(a, "carers", c)
    for username in ("dr-ahmed", "sam"):
        await manage.subnet_add(a.directory, "carers", username)
    for node, username in ((b, "alex"), (b, "bea"), (c, "dr-cole"), (c, "jo"), (c, "cara")):
        await manage.subnet_add(node.directory, subnet, username)
    await eventually(lambda: _members(a, subnet, 7), within=30)
    signed_in = {}
    for node, username, _ in people:
        signed_in[username] = browser(node)
        await signed_in[username].sign_in(username)
    return a, b, c, subnet, signed_in


async def _members(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def _state(node: TestNode, object_uri: str) -> str | None:
    async with node.db.transaction() as s:
        ref = await s.get(PostRef, object_uri)
        if ref is not None:
            return ref.moderation_state
        post_id = object_uri.rsplit("/", 1)[-1]
        post = await s.get(Post, post_id) if object_uri.startswith(node.url) else None
        if post is None or post.deleted_at is not None:
            return None
        return post.moderation_state


async def _report(person: Browser, subnet: str, object_uri: str, reason: str) -> int:
    fields = {"subnet": subnet, "object": object_uri, "reason": reason, "note": ""}
    status, _ = await person.submit(
        "/posts/report?" + _q(subnet, object_uri), "/posts/report", fields
    )
    return status


def _q(subnet: str, object_uri: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"subnet": subnet, "object": object_uri})


async def _act(
    person: Browser, subnet: str, action: str, target: str, **more: str
) -> tuple[int, str]:
    fields = {"subnet": subnet, "action": action, "target": target, "reason": "", **more}
    return await person.submit(subnet_path(subnet), "/moderate/act", fields)


async def test_three_reports_hide_a_post_everywhere_and_a_partner_moderator_removes_it(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, c, subnet, people = await _three_trusts(start_node, browser)
    cole = await c.member_uri("dr-cole", subnet)
    status, _ = await moderate(people["dr-ahmed"], subnet, {"action": "grant", "member": cole})
    assert status == 200
    text = "Some days I cannot face the school run (marker RPT1)"
    await write(people["alex"], subnet, text)
    post = await b.post_uri(text)
    await eventually(lambda: shows(people["jo"], subnet, text), within=30)
    await eventually(lambda: shows(people["sam"], subnet, text), within=30)

    assert await _report(people["bea"], subnet, post, "harmful") == 200
    assert await _report(people["jo"], subnet, post, "bullying") == 200
    assert await _report(people["jo"], subnet, post, "spam") == 400  # once per member
    for node in (a, b, c):
        assert await _state(node, post) == "visible"
    assert await _report(people["cara"], subnet, post, "worried") == 200

    for node in (a, b, c):
        await eventually(lambda node=node: _is(node, post, "hidden"), within=30)
    assert not await shows(people["sam"], subnet, text)
    assert not await shows(people["cara"], subnet, text)
    # Who reported never leaves the reporter's node: the Flags name C's node, not jo or cara.
    reporters = [await c.member_uri(name, subnet) for name in ("jo", "cara")]
    for node in (a, b):
        async with node.db.transaction() as s:
            rows = (await s.scalars(select(Report))).all()
            assert len([r for r in rows if r.reporter_id]) == (1 if node is b else 0)  # bea's
            items = (await s.scalars(select(InboxItem))).all()
        flags = [i.activity for i in items if i.activity.get("type") == "Flag"]
        assert flags and all(f["actor"] in (f"{b.url}/actor", f"{c.url}/actor") for f in flags)
        assert not any(uri in repr(flags) for uri in reporters)
    async with b.db.transaction() as s:
        reasons = {r.reason for r in (await s.scalars(select(Report))).all()}
    assert reasons == {"harmful", "bullying", "worried"}  # the author's home heard all three

    _, queue = await people["dr-cole"].get("/staff/queue")
    assert "Reported and hidden" in queue and "Moderation (" in queue
    status, confirm = await people["dr-cole"].get(
        "/moderate/confirm?" + _q(subnet, post).replace("object=", "target=") + "&action=remove"
    )
    assert status == 200 and "Reason (the person will be told this)" in confirm
    status, page = await _act(people["dr-cole"], subnet, "remove", post)
    assert status == 400 and "Write a reason" in page  # a reason is required
    assert await _state(b, post) == "hidden"
    status, _ = await _act(
        people["dr-cole"], subnet, "remove", post, reason="It names a child in the family."
    )
    assert status == 200
    await eventually(lambda: _text_gone(b, "marker RPT1"), within=30)
    for node in (a, c):
        await eventually(lambda node=node: _is(node, post, None), within=30)
    _, queue = await people["dr-cole"].get("/staff/queue")
    assert "Nothing is waiting." in queue
    _, notices = await people["alex"].get("/notices")  # the author on B is told why
    assert "removed your post" in notices and "It names a child in the family." in notices


async def _is(node: TestNode, object_uri: str, state: str | None) -> bool:
    return await _state(node, object_uri) == state


async def _text_gone(node: TestNode, marker: str) -> bool:
    return marker not in await node.all_rows_text()


async def test_an_edited_approved_post_goes_back_to_the_queue(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, c, subnet, people = await _three_trusts(start_node, browser)
    await manage.subnet_policy(a.directory, "carers", PolicyChange(premoderation=True))
    text = "First draft of my week (marker ED1)"
    await write(people["alex"], subnet, text)
    post = await b.post_uri(text)
    await eventually(lambda: _is(a, post, "held"), within=30)
    status, _ = await _act(people["dr-ahmed"], subnet, "approve", post)
    assert status == 200
    await eventually(lambda: shows(people["jo"], subnet, text), within=30)
    await eventually(lambda: _is(b, post, "visible"), within=30)

    fields = {"subnet": subnet, "object": post, "content": "Second draft (marker ED2)"}
    status, _ = await people["alex"].submit(
        "/posts/edit?" + _q(subnet, post), "/posts/edit", fields
    )
    assert status == 200
    await eventually(lambda: _is(a, post, "held"), within=30)  # back in the queue at the home
    _, notices = await people["alex"].get("/notices")
    assert "waiting for a moderator" in notices
    await eventually(lambda: _is(c, post, "hidden"), within=30)  # and off the partner's page
    assert not await shows(people["jo"], subnet, "marker ED2")
    _, queue = await people["dr-ahmed"].get("/staff/queue")
    assert "Waiting for approval" in queue
    status, _ = await _act(people["dr-ahmed"], subnet, "approve", post)
    assert status == 200
    await eventually(lambda: shows(people["jo"], subnet, "marker ED2"), within=30)
    _, page = await people["jo"].get(f"/subnet?id={subnet}")
    assert "Edited" in page


async def test_moderator_actions_are_refused_to_everyone_else_with_nothing_changed(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, c, subnet, people = await _three_trusts(start_node, browser)
    d = await start_node("Dee Trust")  # a peer of A, never a partner of "carers"
    await peer_all(a, d)
    other = await manage.subnet_create(a.directory, "other", "Other")
    await share(a, "other", c)
    await manage.subnet_add(c.directory, other, "dr-cole")
    await manage.subnet_add(a.directory, "other", "dr-ahmed")
    await eventually(lambda: _members(a, other, 2), within=30)
    cole_other = await c.member_uri("dr-cole", other)
    await moderate(people["dr-ahmed"], other, {"action": "grant", "member": cole_other})
    text = "Please leave this one alone (marker RF1)"
    await write(people["alex"], subnet, text)
    post = await b.post_uri(text)
    await eventually(lambda: shows(people["jo"], subnet, text), within=30)
    sam = await a.member_uri("sam", subnet)
    before = {node.url: await _snapshot(node) for node in (a, b, c)}

    for action in ACTIONS:
        target = sam if action in ("warn", "suspend", "lift") else post
        extra = {"reason": "because", "duration": "2w"}
        status, page = await _act(people["bea"], subnet, action, target, **extra)
        assert status == 403 and "moderat" in page, (action, status)
        status, page = await _act(people["dr-cole"], subnet, action, target, **extra)
        assert status == 403 and "moderat" in page, (action, status)

    cole_carers = await c.member_uri("dr-cole", subnet)
    bea = await b.member_uri("bea", subnet)
    sent: list[str] = []
    async with aiohttp.ClientSession() as http:
        for sender, actor in ((c, cole_carers), (b, bea), (d, f"{d.url}/actor")):
            for activity in _moderator_activities(sender, actor, subnet, post, sam):
                response = await sender.signed_client(http).post(
                    f"{a.url}/inbox", activity, signer=actor, scheme="rfc9421"
                )
                if sender is d:
                    assert response.status == 403, activity["type"]  # not a partner
                else:
                    assert response.status == 202
                    sent.append(activity["id"])
    for activity_id in sent:
        await eventually(lambda activity_id=activity_id: _rejected(a, activity_id), within=30)
    for node in (a, b, c):
        after = await _snapshot(node)
        changed = set(after.splitlines()) ^ set(before[node.url].splitlines())
        assert not changed, changed


def _moderator_activities(
    sender: TestNode, actor: str, subnet: str, post: str, member: str
) -> list[dict[str, Any]]:
    def activity(kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{sender.url}/activities/{uuid.uuid4().hex}",
            "type": kind,
            "actor": actor,
            "object": obj,
            "audience": subnet,
            "target": subnet,
            **extra,
        }

    remove = activity("Remove", post)
    block = activity("Block", member, summary="because")
    return [
        remove,
        activity("Undo", remove),
        activity("Delete", post, summary="because"),
        activity("Flag", member, content="warning", summary="because"),
        block,
        activity("Undo", block),
    ]


async def _rejected(node: TestNode, activity_id: str) -> bool:
    async with node.db.transaction() as s:
        items = (await s.execute(select(InboxItem))).scalars().all()
    return any(i.activity_id == activity_id and i.state == "rejected" for i in items)


async def _snapshot(node: TestNode) -> str:
    """Every row that a moderator action could change, in a stable order (bookkeeping of
    queues, sessions, page visits and keys apart)."""
    skip = (
        "audit",
        "audit_head",
        "event",
        "inbox_item",
        "delivery",
        "web_session",
        "sign_in_throttle",
        "remote_actor",
        "peer",
        "report",
        "subnet_visit",
        "last_visit",
        "work_count",
    )
    return "\n".join(sorted((await node.all_rows_text(skip=skip)).splitlines()))


async def _reports(node: TestNode, post: str) -> list[tuple[str, str | None]]:
    async with node.db.transaction() as s:
        rows = (await s.scalars(select(Report).where(Report.object_uri == post))).all()
    return sorted((r.state, r.outcome) for r in rows)


async def _closed_as(node: TestNode, post: str, outcome: str, n: int) -> bool:
    return await _reports(node, post) == [("reviewed", outcome)] * n


async def _told_gone(person: Browser, times: int) -> bool:
    _, notices = await person.get("/notices")
    return notices.count("is no longer there") == times


async def test_a_decision_at_the_home_closes_the_reports_on_every_trust_that_holds_them(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """Reports of a post written on B are kept at B (reporter's node and author's home), at C
    (reporter's node) and at A (the subnet's home). Whatever the home decides closes them on
    all three, with the outcome: a moderator's hide (the reporters are told, as for a
    removal), a removal, and — after reports hid a post automatically, which waits — showing
    it again."""
    a, b, c, subnet, people = await _three_trusts(start_node, browser)
    texts = {
        "hide": "I stopped taking everything (marker OUT1)",
        "remove": "Here is her school and address (marker OUT2)",
        "show": "Feeling low but hanging on (marker OUT3)",
    }
    posts = {}
    for key, text in texts.items():
        await write(people["alex"], subnet, text)
        posts[key] = await b.post_uri(text)
        await eventually(lambda text=text: shows(people["jo"], subnet, text), within=30)
    for key in ("hide", "remove"):
        assert await _report(people["bea"], subnet, posts[key], "worried") == 200
        assert await _report(people["jo"], subnet, posts[key], "harmful") == 200
    for key in ("hide", "remove"):
        await eventually(lambda key=key: _open(a, posts[key], 2), within=30)
        await eventually(lambda key=key: _open(b, posts[key], 2), within=30)
        assert await _reports(c, posts[key]) == [("open", None)]

    status, _ = await _act(people["dr-ahmed"], subnet, "hide", posts["hide"])
    assert status == 200
    for node, n in ((a, 2), (b, 2), (c, 1)):
        await eventually(lambda node=node, n=n: _closed_as(node, posts["hide"], "hidden", n))
        await eventually(lambda node=node: _is(node, posts["hide"], "withheld"), within=30)
    await eventually(lambda: _told_gone(people["jo"], 1), within=30)  # told at C
    await eventually(lambda: _told_gone(people["bea"], 1), within=30)  # told at B
    _, queue = await people["dr-ahmed"].get("/staff/queue")
    assert queue.count("Reported by 2 members") == 1  # the other post only
    assert "marker OUT1" not in queue

    status, _ = await _act(
        people["dr-ahmed"], subnet, "remove", posts["remove"], reason="It identifies a child."
    )
    assert status == 200
    for node, n in ((a, 2), (b, 2), (c, 1)):
        await eventually(lambda node=node, n=n: _closed_as(node, posts["remove"], "removed", n))
    await eventually(lambda: _told_gone(people["jo"], 2), within=30)
    await eventually(lambda: _told_gone(people["bea"], 2), within=30)

    for name, reason in (("bea", "harmful"), ("jo", "spam"), ("cara", "other")):
        fields = {"subnet": subnet, "object": posts["show"], "reason": reason, "note": "Unsure."}
        status, _ = await people[name].submit(
            "/posts/report?" + _q(subnet, posts["show"]), "/posts/report", fields
        )
        assert status == 200
    for node in (a, b, c):  # reports hid it: that waits for a moderator, reports stay open
        await eventually(lambda node=node: _is(node, posts["show"], "hidden"), within=30)
    assert await _reports(c, posts["show"]) == [("open", None)] * 2
    _, queue = await people["dr-ahmed"].get("/staff/queue")
    assert "Reported and hidden" in queue and "Nothing is waiting." not in queue
    status, _ = await _act(people["dr-ahmed"], subnet, "show", posts["show"])
    assert status == 200
    for node, n in ((a, 3), (b, 3), (c, 2)):
        await eventually(lambda node=node, n=n: _closed_as(node, posts["show"], "shown", n))
    await eventually(lambda: shows(people["jo"], subnet, texts["show"]), within=30)
    _, notices = await people["jo"].get("/notices")
    assert notices.count("is no longer there") == 2  # a post kept up is not "gone"
    _, queue = await people["dr-ahmed"].get("/staff/queue")
    assert "Nothing is waiting." in queue


async def _open(node: TestNode, post: str, n: int) -> bool:
    return await _reports(node, post) == [("open", None)] * n


async def test_a_post_a_moderator_hid_leaves_the_queue_and_can_be_shown_again(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """Hiding a post is itself the review: it does not wait in the queue (nor in the header
    count), and its moderation page lists it apart, with "Show again"."""
    a, b, c, subnet, people = await _three_trusts(start_node, browser)
    text = "Nobody would notice if I left (marker WH1)"
    await write(people["alex"], subnet, text)
    post = await b.post_uri(text)
    await eventually(lambda: shows(people["jo"], subnet, text), within=30)
    assert await _report(people["jo"], subnet, post, "worried") == 200
    await eventually(lambda: _open(a, post, 1), within=30)
    _, queue = await people["dr-ahmed"].get("/staff/queue")
    assert "Moderation (1 waiting)" in queue and "Reported by 1 member" in queue

    status, _ = await _act(people["dr-ahmed"], subnet, "hide", post)
    assert status == 200
    _, queue = await people["dr-ahmed"].get("/staff/queue")
    assert "Nothing is waiting." in queue and "Moderation (" not in queue
    assert "Reported and hidden" not in queue
    _, page = await people["dr-ahmed"].get(moderate_path(subnet))
    assert "Posts a moderator hid" in page and "marker WH1" in page
    assert "Hidden by a moderator" in page and "Show again" in page
    await eventually(lambda: _is(c, post, "withheld"), within=30)
    assert not await shows(people["jo"], subnet, text)

    status, _ = await _act(people["dr-ahmed"], subnet, "show", post)
    assert status == 200
    await eventually(lambda: shows(people["jo"], subnet, text), within=30)
    for node in (a, b, c):
        await eventually(lambda node=node: _is(node, post, "visible"), within=30)
