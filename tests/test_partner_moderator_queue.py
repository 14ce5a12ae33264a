"""A moderator granted by a subnet's home at a partner trust sees, and can read, what waits at
that home; nobody else can read it. Three trusts over real HTTP: A hosts "carers", shared with
B and C; dr-cole on C moderates it.

* Held posts never announced to C (one written on A, one on B) are in dr-cole's queue, fetched
  live from A, and their text is on C's moderation page: A serves its own, B serves alex's
  once A confirms dr-cole moderates the subnet. The same fetch for an ordinary member gets
  nothing, and A tells nobody else what waits (a member, another node, a non-partner). A
  rejection's reason reaches its author's trust. When the home cannot be reached, the pages
  say so.
* Reports made on B are in dr-cole's queue; hiding the post answers them at the home (the
  response-time figures count it) and takes it out of the queue, and the hidden text stays
  readable to him alone.
* His header counts what waits at the home too, without a page ever waiting on the home.
* A partner moderator's warning of a member of another partner, and the home's removal of
  that member, reach her own trust with the reason (and nothing else about her).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import aiohttp
import pytest
from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    moderate,
    peer_all,
    share,
    shows,
    subnet_path,
    write,
)
from sqlalchemy import select

from actors.retention import PolicyChange
from node import manage
from node.cli import main
from storage.models import InboxItem, Membership, Post, PostRef, Report


async def _three_trusts(
    start_node: StartNode, browser: BrowserFactory, premoderation: bool
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
    ]
    for node, username, role in people:
        await node.add_user(username, role, username.replace("-", " ").title())
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_policy(a.directory, "carers", PolicyChange(premoderation=premoderation))
    await share(a, "carers", b)
    await share(a, "carers", c)
    for username in ("dr-ahmed", "sam"):
        await manage.subnet_add(a.directory, "carers", username)
    for node, username in ((b, "alex"), (b, "bea"), (c, "dr-cole"), (c, "jo")):
        await manage.subnet_add(node.directory, subnet, username)
    await eventually(lambda: _members(a, subnet, 6), within=30)
    signed_in = {}
    for node, username, _ in people:
        signed_in[username] = browser(node)
        await signed_in[username].sign_in(username)
    cole = await c.member_uri("dr-cole", subnet)
    status, _ = await moderate(signed_in["dr-ahmed"], subnet, {"action": "grant", "member": cole})
    assert status == 200
    await eventually(lambda: _moderates(c, subnet, cole), within=30)
    return a, b, c, subnet, signed_in


async def _members(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def _moderates(node: TestNode, subnet: str, member: str) -> bool:
    async with node.db.transaction() as s:
        row = await s.scalar(
            select(Membership).where(
                Membership.subnet_uri == subnet, Membership.member_uri == member
            )
        )
    return row is not None and row.role == "moderator"


async def _state(node: TestNode, object_uri: str) -> str | None:
    async with node.db.transaction() as s:
        ref = await s.get(PostRef, object_uri)
        if ref is not None:
            return ref.moderation_state
        post = await s.get(Post, object_uri.rsplit("/", 1)[-1])
        if post is None or post.deleted_at is not None or not object_uri.startswith(node.url):
            return None
        return post.moderation_state


async def _is(node: TestNode, object_uri: str, state: str | None) -> bool:
    return await _state(node, object_uri) == state


def _moderation_page(subnet: str) -> str:
    return "/moderate?" + urlencode({"id": subnet})


async def _served(reader_node: TestNode, home: TestNode, post: str, reader: str) -> list[str]:
    """The post ids `home` serves to `reader_node` for `reader` (a signed batched fetch)."""
    url = f"{home.url}/objects?" + urlencode({"id": post, "for": reader})
    async with aiohttp.ClientSession() as http:
        answer = await reader_node.signed_client(http).get_json(
            url, signer=f"{reader_node.url}/actor", scheme="rfc9421"
        )
    return [item["id"] for item in answer.get("items", [])]


async def _queue_status(asking: TestNode, subnet: str, reader: str) -> int:
    async with aiohttp.ClientSession() as http:
        response = await asking.signed_client(http).request(
            "GET",
            f"{subnet}/queue?" + urlencode({"for": reader}),
            None,
            signer=f"{asking.url}/actor",
            scheme="rfc9421",
        )
    return response.status


async def _act(person: Browser, subnet: str, action: str, target: str, reason: str = "") -> int:
    fields = {"subnet": subnet, "action": action, "target": target, "reason": reason}
    status, _ = await person.submit(subnet_path(subnet), "/moderate/act", fields)
    return status


async def test_a_partner_moderator_sees_and_reads_held_posts_at_the_home(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, c, subnet, people = await _three_trusts(start_node, browser, premoderation=True)
    alex_text, sam_text = "Is it normal to feel this tired? (marker PQ1)", "Hello all (marker PQ2)"
    await write(people["alex"], subnet, alex_text)
    await write(people["sam"], subnet, sam_text)
    alex_post, sam_post = await b.post_uri(alex_text), await a.post_uri(sam_text)
    await eventually(lambda: _is(a, alex_post, "held"), within=30)
    assert await _is(c, alex_post, None) and await _is(c, sam_post, None)  # never announced

    _, queue = await people["dr-cole"].get("/staff/queue")
    assert queue.count("Waiting for approval") == 2
    status, page = await people["dr-cole"].get(_moderation_page(subnet))
    assert status == 200 and "marker PQ1" in page and "marker PQ2" in page
    _, queue = await people["jo"].get("/staff/queue")
    assert "marker" not in queue

    cole, jo = await c.member_uri("dr-cole", subnet), await c.member_uri("jo", subnet)
    assert await _served(c, a, sam_post, cole) == [sam_post]
    assert await _served(c, b, alex_post, cole) == [alex_post]  # A vouched he moderates
    assert await _served(c, a, sam_post, jo) == []  # an ordinary member: nothing
    assert await _served(c, b, alex_post, jo) == []
    bea = await b.member_uri("bea", subnet)
    assert await _served(b, a, sam_post, bea) == []
    assert await _queue_status(c, subnet, cole) == 200  # what waits at A: for him only
    assert await _queue_status(c, subnet, jo) == 404
    assert await _queue_status(b, subnet, cole) == 404  # he is not B's to name
    d = await start_node("Dee Trust")  # a peer of A, not a partner of "carers"
    await peer_all(a, d)
    assert await _queue_status(d, subnet, cole) == 404

    assert await _act(people["dr-cole"], subnet, "approve", sam_post) == 200
    await eventually(lambda: shows(people["jo"], subnet, "marker PQ2"), within=30)
    assert await _act(people["dr-cole"], subnet, "reject", alex_post) == 400  # needs a reason
    status = await _act(people["dr-cole"], subnet, "reject", alex_post, "Please keep it kind.")
    assert status == 200
    await eventually(lambda: _is(a, alex_post, None), within=30)
    await eventually(lambda: _told(people["alex"], "Please keep it kind."), within=30)
    _, notices = await people["alex"].get("/notices")  # told at B, with the reason
    assert "did not approve your post" in notices and "Please keep it kind." in notices
    _, queue = await people["dr-cole"].get("/staff/queue")
    assert "Nothing is waiting." in queue and "could not be asked" not in queue

    await a.runner.cleanup()  # the home is down: the pages say what they could not show
    status, queue = await people["dr-cole"].get("/staff/queue")
    assert status == 200 and "could not be asked just now" in queue
    status, page = await people["dr-cole"].get(_moderation_page(subnet))
    assert status == 200 and "could not be asked just now" in page


async def test_reports_made_elsewhere_reach_a_partner_moderator_and_hiding_answers_them(
    start_node: StartNode, browser: BrowserFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, c, subnet, people = await _three_trusts(start_node, browser, premoderation=False)
    text = "Nobody here understands anything (marker PR1)"
    await write(people["sam"], subnet, text)
    post = await a.post_uri(text)
    await eventually(lambda: shows(people["bea"], subnet, "marker PR1"), within=30)
    await eventually(lambda: _is(c, post, "visible"), within=30)
    fields = {"subnet": subnet, "object": post, "reason": "harmful", "note": ""}
    status, _ = await people["bea"].submit(
        "/posts/report?" + urlencode({"subnet": subnet, "object": post}), "/posts/report", fields
    )
    assert status == 200
    await eventually(lambda: _open_reports(a, 1), within=30)

    _, queue = await people["dr-cole"].get("/staff/queue")  # C never heard of the report
    assert "Reported by 1 member" in queue and "Harmful or triggering for others" in queue
    assert await _act(people["dr-cole"], subnet, "hide", post) == 200
    await eventually(lambda: _open_reports(a, 0), within=30)  # hiding answered the report
    await eventually(lambda: _is(c, post, "withheld"), within=30)  # a moderator hid it
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["moderation", "times", str(a.directory)]) == 0
    assert "answered=1" in capsys.readouterr().out

    _, queue = await people["dr-cole"].get("/staff/queue")  # the hide was the review
    assert "Reported by" not in queue and "Nothing is waiting." in queue
    _, page = await people["dr-cole"].get(_moderation_page(subnet))
    assert "marker PR1" in page and "Hidden by a moderator" in page  # read from A, for him
    assert not await shows(people["jo"], subnet, "marker PR1")
    jo = await c.member_uri("jo", subnet)
    assert await _served(c, a, post, jo) == []

    bea = await b.member_uri("bea", subnet)
    status = await _act(people["dr-cole"], subnet, "warn", bea, "Please report, do not argue.")
    assert status == 200  # asked of the home by C, which warns a member of B
    await eventually(lambda: _told(people["bea"], "Please report, do not argue."), within=30)
    _, notices = await people["bea"].get("/notices")
    assert "sent you a warning" in notices
    fields = {
        "subnet": subnet,
        "action": "remove_member",
        "target": bea,
        "reason": "Asked to leave by their care team.",
    }
    status, _ = await people["dr-ahmed"].submit(subnet_path(subnet), "/moderate/act", fields)
    assert status == 200
    await eventually(lambda: _members(b, subnet, 1), within=30)
    _, notices = await people["bea"].get("/notices")  # told at B, with the home's reason
    assert "A moderator removed you from" in notices
    assert "Asked to leave by their care team." in notices
    async with b.db.transaction() as s:
        items = (await s.scalars(select(InboxItem))).all()
    (removal,) = [
        i.activity
        for i in items
        if i.activity.get("type") == "Remove" and i.activity.get("object") == bea
    ]
    assert removal["summary"] == fields["reason"]
    assert "Bea" not in repr(removal)  # the reason, and nothing else about her


async def _told(person: Browser, text: str) -> bool:
    _, notices = await person.get("/notices")
    return text in notices


async def _open_reports(node: TestNode, n: int) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.scalars(select(Report).where(Report.state == "open"))).all()
    return len(rows) == n


async def _header_counts(person: Browser, n: int) -> bool:
    status, page = await person.get("/staff/people")
    return status == 200 and f"Moderation ({n} waiting)" in page


async def test_a_partner_moderators_header_counts_what_waits_at_the_home_without_waiting_on_it(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """dr-cole on C moderates "carers", hosted on A. Posts held at A were never announced to
    C, yet the count in the header of his every staff page includes them: his pages answer
    from what A last said, and ask A again in the background; his queue page, asked live,
    refreshes it at once. When A cannot be reached his pages still load, and once his queue
    finds A gone the header counts only what C knows."""
    a, b, c, subnet, people = await _three_trusts(start_node, browser, premoderation=True)
    cole = people["dr-cole"]
    await write(people["alex"], subnet, "Is anyone else up at night? (marker HC1)")
    alex_post = await b.post_uri("Is anyone else up at night? (marker HC1)")
    await eventually(lambda: _is(a, alex_post, "held"), within=30)
    assert await _is(c, alex_post, None)  # C knows nothing of it

    await eventually(lambda: _header_counts(cole, 1), within=90)  # asked of A in the background

    await write(people["sam"], subnet, "Morning all (marker HC2)")
    assert await _is(a, await a.post_uri("Morning all (marker HC2)"), "held")
    _, queue = await cole.get("/staff/queue")
    assert "Moderation (2 waiting)" in queue and queue.count("Waiting for approval") == 2
    assert await _header_counts(cole, 2)  # the queue's answer counts on the next page at once
    _, page = await people["dr-ahmed"].get("/staff/people")
    assert "Moderation (2 waiting)" in page  # the same count at the home

    await a.runner.cleanup()  # A is down: his pages load all the same
    assert await _header_counts(cole, 2)  # from memory, not waiting on A
    status, queue = await cole.get("/staff/queue")
    assert status == 200 and "could not be asked just now" in queue
    status, page = await cole.get("/staff/people")
    assert status == 200 and "Moderation (" not in page  # only what C knows: nothing
