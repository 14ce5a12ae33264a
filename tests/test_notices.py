"""Notices: people are told of replies to and Likes of their posts (Likes grouped), of join
requests and approvals, and that a post they reported is gone — on one node and, through
federation, between two real nodes."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

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
    shows,
    subnet_path,
    write,
)

from actors import notices
from actors.clock import utcnow
from actors.ids import LocalIds
from actors.notices import NoticeKind
from actors.retention import PolicyChange
from node import manage
from storage.engine import Database
from storage.models import Person


def _unread(html: str) -> int:
    found = re.search(r"Notices \((\d+) new\)", html)
    return int(found.group(1)) if found else 0


async def _has_notice(person: Browser, text: str) -> bool:
    """Whether `text` is among the person's notices (opening the page marks them read)."""
    status, html = await person.get("/notices")
    return status == 200 and text in html


async def _unread_on_home(person: Browser) -> int:
    _, html = await person.get("/")
    return _unread(html)


async def test_reply_and_likes_on_one_node_are_notices_with_likes_grouped_and_a_count(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust")
    for username in ("sam", "jo", "kit"):
        await a.add_user(username, "carer", username.title())
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    for username in ("sam", "jo", "kit"):
        await manage.subnet_add(a.directory, "carers", username)
    sam, jo, kit = browser(a), browser(a), browser(a)
    for person, username in ((sam, "sam"), (jo, "jo"), (kit, "kit")):
        await person.sign_in(username)
    await write(sam, subnet, "Is anyone else up at night? (marker N1)")
    post = await a.post_uri("Is anyone else up at night? (marker N1)")
    assert await _unread_on_home(sam) == 0

    await write(jo, subnet, "Most nights, yes (marker N2)", in_reply_to=post)
    await act(jo, subnet, "/posts/like", {"object": post})
    await act(kit, subnet, "/posts/like", {"object": post})
    await act(sam, subnet, "/posts/like", {"object": post})  # one's own Like tells no one
    assert await _unread_on_home(sam) == 2

    _, html = await sam.get("/notices")
    assert "Jo replied to your post in Carers." in html
    assert "Kit and 1 other liked your post in Carers." in html
    assert html.count("nhsuk-tag--blue") == 2
    assert await _unread_on_home(sam) == 0
    _, html = await sam.get("/notices")
    assert "Jo replied to your post in Carers." in html  # still listed, no longer new
    assert await _unread_on_home(jo) == 0


async def test_my_subnets_counts_posts_by_others_since_my_last_visit_to_each_subnet(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, people = await host_and_partner(start_node, browser)
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await eventually(lambda: _active(a, subnet, 4))
    sam, alex = people["sam"], people["alex"]
    await sam.get(subnet_path(subnet))  # a visit: nothing is new
    _, html = await sam.get("/")
    assert "since your last visit" not in html
    await write(sam, subnet, "My own post is not news to me (marker V1)")
    await write(people["dr-ahmed"], subnet, "Welcome, everyone (marker V2)")
    await write(alex, subnet, "Hello from Bucks side (marker V3)")  # reaches A by reference
    await eventually(lambda: _home_says(sam, "2 new posts since your last visit."))
    await sam.get(subnet_path(subnet))
    _, html = await sam.get("/")
    assert "since your last visit" not in html


async def _home_says(person: Browser, text: str) -> bool:
    _, html = await person.get("/")
    return text in html


async def test_a_reply_written_on_a_partner_node_becomes_a_notice_at_the_authors_home(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await eventually(lambda: _active(a, subnet, 4))
    sam, alex = people["sam"], people["alex"]
    await write(sam, subnet, "Respite care worked for us (marker F1)")
    post = await a.post_uri("Respite care worked for us (marker F1)")
    await eventually(lambda: shows(alex, subnet, "marker F1"))
    await write(alex, subnet, "Thank you, we will ask (marker F2)", in_reply_to=post)
    await eventually(lambda: _has_notice(sam, "Alex replied to your post in Carers."))
    await act(alex, subnet, "/posts/like", {"object": post})
    await eventually(lambda: _has_notice(sam, "Alex liked your post in Carers."))

    # And the other way: a post written on B, replied to on A (B hears by Announce).
    await write(alex, subnet, "Any tips for sleep? (marker F3)")
    theirs = await b.post_uri("Any tips for sleep? (marker F3)")
    await eventually(lambda: shows(sam, subnet, "marker F3"))
    await write(sam, subnet, "A routine helps (marker F4)", in_reply_to=theirs)
    await eventually(lambda: _has_notice(alex, "replied to your post in Carers."))
    assert "marker F4" not in await b.all_rows_text()


async def test_moderators_are_told_of_join_requests_and_the_member_of_the_approval(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await manage.subnet_policy(a.directory, "carers", PolicyChange(join_approval=True))
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await eventually(lambda: _has_notice(people["dr-ahmed"], "Alex asked to join Carers."))
    _, html = await people["dr-ahmed"].get("/notices")
    assert f'href="{moderate_path(subnet)}"' in html
    assert not await _has_notice(people["sam"], "asked to join")  # members are not told

    alex = await b.member_uri("alex", subnet)
    status, _ = await moderate(people["dr-ahmed"], subnet, {"action": "approve", "member": alex})
    assert status == 200
    await eventually(lambda: _has_notice(people["alex"], "You have joined Carers"))


async def test_tell_counts_lists_and_marks_read_through_the_actors_api(database: Database) -> None:
    ids = LocalIds("https://trust.example")
    now = utcnow()
    async with database.transaction() as s:
        s.add(
            Person(
                id="p1",
                username="sam",
                pseudonym="Sam",
                role="carer",
                password_hash="x",
                created_at=now,
            )
        )
        await s.flush()
        await notices.tell(
            s,
            person_id="p1",
            kind=NoticeKind.SUSPENDED,
            subnet_uri=ids.subnet("carers"),
            subnet_name="Carers",
            reason="Please keep to the house rules.",
            until=now + timedelta(days=2),
            now=now,
        )
        await notices.tell(s, person_id="p1", kind=NoticeKind.WARNED, subnet_name="Carers", now=now)
    async with database.transaction() as s:
        assert await notices.unread_count(s, person_id="p1") == 2
        found = await notices.list_for(s, ids, person_id="p1", node_name="Trust")
        assert {view.kind for view in found} == {NoticeKind.SUSPENDED, NoticeKind.WARNED}
        suspended = next(view for view in found if view.kind == NoticeKind.SUSPENDED)
        assert suspended.text.startswith("You cannot post in Carers until ")
        assert suspended.reason == "Please keep to the house rules."
        assert await notices.mark_read(s, person_id="p1", now=now, notice_ids=[suspended.id]) == 1
    async with database.transaction() as s:
        assert await notices.unread_count(s, person_id="p1") == 1
        assert await notices.mark_read(s, person_id="p1", now=now) == 1
        assert await notices.unread_count(s, person_id="p1") == 0


async def _active(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def test_reporters_here_are_told_when_the_post_they_reported_is_gone(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    for username, role in (("sam", "carer"), ("jo", "carer"), ("dr-ahmed", "clinician")):
        await a.add_user(username, role, username.replace("-", " ").title())
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    for username in ("sam", "jo", "dr-ahmed"):
        await manage.subnet_add(a.directory, "carers", username)
    sam, jo, staff = browser(a), browser(a), browser(a)
    for person, username in ((sam, "sam"), (jo, "jo"), (staff, "dr-ahmed")):
        await person.sign_in(username)
    told = "A post you reported in Carers is no longer there."
    posts = []
    for text in ("Cheap watches, message me (marker W1)", "Cheap phones too (marker W2)"):
        await write(sam, subnet, text)
        post = await a.post_uri(text)
        posts.append(post)
        query = urlencode({"subnet": subnet, "object": post})
        fields = {"subnet": subnet, "object": post, "reason": "spam", "note": ""}
        status, _ = await jo.submit(f"/posts/report?{query}", "/posts/report", fields)
        assert status == 200
        assert not await _has_notice(jo, told)
    removed, deleted = posts

    reason = "Adverts are not allowed here."
    fields = {"subnet": subnet, "action": "remove", "target": removed, "reason": reason}
    status, _ = await staff.submit(subnet_path(subnet), "/moderate/act", fields)
    assert status == 200
    _, page = await jo.get("/notices")
    assert page.count(told) == 1 and reason not in page  # the reason is the author's alone

    assert await act(sam, subnet, "/posts/delete", {"object": deleted}) == 200
    _, page = await jo.get("/notices")
    assert page.count(told) == 2  # gone by its author's hand is gone too
