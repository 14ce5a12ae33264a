"""A subnet's content is never shown outside that subnet (issue 9, item 2).

The issue's example between real nodes: A hosts `diary`; S was once a partner of it, so it
knows the URI of a diary post written then. A later shares diary with B. S hosts `circle`,
shared with B, and its Group announces A's diary post to B as if it were a circle post. bea, a
member at B of circle only, must never see the diary text, and A's audit must never name her:
A serves a post only for a reader who is a member of that post's subnet on the asking node,
and B shows fetched text only in the subnet its reference belongs to. Replies, Likes, Updates
and Deletes that cross subnets are refused too."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

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
    signed_get,
    subnet_path,
    write,
)
from sqlalchemy import select

from actors.retention import PolicyChange
from node import manage
from storage.models import Audit, InboxItem, Membership, PostRef, Reaction

DIARY_TEXT = "Written in the diary (marker SC1)"


async def _send(sender: TestNode, to: TestNode, signer: str, activity: dict[str, Any]) -> str:
    """POST an activity signed as `signer` (an actor of `sender`); the state it ends in at
    `to` once processed, or the HTTP status if the inbox refused it."""
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.url}/activities/{uuid.uuid4().hex}",
        "actor": signer,
        **activity,
    }
    async with aiohttp.ClientSession() as http:
        response = await sender.signed_client(http).post(
            f"{to.url}/inbox", activity, signer=signer, scheme="rfc9421"
        )
    if response.status != 202:
        return str(response.status)

    async def processed() -> bool:
        return await _state(to, activity["id"]) not in (None, "pending")

    await eventually(processed, within=10)
    return str(await _state(to, activity["id"]))


async def _state(node: TestNode, activity_id: str) -> str | None:
    async with node.db.transaction() as s:
        row = (
            await s.execute(select(InboxItem).where(InboxItem.activity_id == activity_id))
        ).scalar_one_or_none()
    return row.state if row else None


async def _reads_of(node: TestNode, post: str) -> list[str]:
    async with node.db.transaction() as s:
        rows = (await s.execute(select(Audit).where(Audit.target == post))).scalars().all()
    return [row.who for row in rows if row.action == "remote_read"]


async def _has_member(node: TestNode, subnet: str, member: str) -> bool:
    async with node.db.transaction() as s:
        row = (
            await s.execute(
                select(Membership).where(
                    Membership.subnet_uri == subnet, Membership.member_uri == member
                )
            )
        ).scalar_one_or_none()
    return row is not None


@pytest.fixture
async def example(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, TestNode, TestNode, dict[str, str], Browser]:
    a, b, s = [await start_node(n) for n in ("Diary Home", "Reader", "Former Partner")]
    await peer_all(a, b, s)
    await a.add_user("dina", "carer")
    await b.add_user("bea", "carer")
    await b.add_user("dan", "carer")
    diary = await manage.subnet_create(a.directory, "diary", "Diary")
    await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "diary", s)  # S was a partner of diary once…
    await manage.subnet_add(a.directory, "diary", "dina")
    dina = browser(a)
    await dina.sign_in("dina")
    await write(dina, diary, DIARY_TEXT)
    post = await a.post_uri(DIARY_TEXT)
    await eventually(lambda: _has_ref(s, post))  # …so it knows the post's URI
    await manage.subnet_unshare(a.directory, "diary", s.url)
    await share(a, "diary", b)  # B became a partner later (no old posts are sent to it)
    carers = await share(a, "carers", b)
    circle = await manage.subnet_create(s.directory, "circle", "Circle")
    await share(s, "circle", b)
    await manage.subnet_add(b.directory, circle, "bea")  # bea: circle only
    await manage.subnet_add(b.directory, diary, "dan")  # dan: diary and carers
    await manage.subnet_add(b.directory, carers, "dan")
    uris = {
        "post": post,
        "diary": diary,
        "carers": carers,
        "circle": circle,
        "bea": await b.member_uri("bea", circle),
        "dan": await b.member_uri("dan", diary),
        "dan_carers": await b.member_uri("dan", carers),
    }
    await eventually(lambda: _has_member(a, diary, uris["dan"]))
    await eventually(lambda: _has_member(a, carers, uris["dan_carers"]))
    await eventually(lambda: _has_member(s, circle, uris["bea"]))
    bea = browser(b)
    await bea.sign_in("bea")
    return a, b, s, uris, bea


async def _has_ref(node: TestNode, uri: str) -> bool:
    async with node.db.transaction() as s:
        return await s.get(PostRef, uri) is not None


async def test_a_group_announcing_another_subnets_post_never_shows_its_text(
    example: tuple[TestNode, TestNode, TestNode, dict[str, str], Browser],
) -> None:
    a, b, s, uris, bea = example
    announce = {"type": "Announce", "object": {"id": uris["post"], "type": "Note"}}
    assert await _send(s, b, uris["circle"], {**announce, "audience": uris["circle"]}) == "done"
    async with b.db.transaction() as session:
        ref = await session.get(PostRef, uris["post"])
    assert ref is not None and ref.subnet_uri == uris["circle"]  # B could not know better
    status, html = await bea.get(subnet_path(uris["circle"]))
    assert status == 200 and "marker SC1" not in html
    assert await _reads_of(a, uris["post"]) == []  # A never audits bea: she read nothing


async def test_the_home_serves_a_post_only_for_a_member_of_its_subnet_on_the_asking_node(
    example: tuple[TestNode, TestNode, TestNode, dict[str, str], Browser],
) -> None:
    a, b, s, uris, _ = example
    post, post_id = uris["post"], uris["post"].rsplit("/", 1)[1]
    dina = await a.member_uri("dina", uris["diary"])
    not_readers = {
        "bea, a member of another subnet": uris["bea"],
        "dan as a member of carers": uris["dan_carers"],
        "nobody named (B's instance)": None,
        "a member on another node": dina,
        "a made-up member of B": f"{b.url}/members/{uuid.uuid4().hex}",
    }
    for name, reader in not_readers.items():
        named = f"&for={quote(reader, safe='')}" if reader else ""
        status, body = await signed_get(b, f"{a.url}/objects?id={quote(post, safe='')}{named}")
        assert status == 200 and json.loads(body)["items"] == [], name
        status, body = await signed_get(b, f"{post}?{named.lstrip('&')}")
        assert status == 404 and b"marker" not in body, name
    assert await _reads_of(a, post) == []  # a partner cannot write readers into the audit
    for reader in (uris["dan"], uris["bea"]):  # S, a partner no more, is refused whoever reads
        status, body = await signed_get(s, f"{post}?for={quote(reader, safe='')}")
        assert status == 404 and b"marker" not in body
    status, body = await signed_get(b, f"{a.url}/objects?id={post_id}&for=x")
    assert b"marker" not in body
    status, body = await signed_get(b, f"{post}?for={quote(uris['dan'], safe='')}")
    assert status == 200 and b"marker SC1" in body  # dan is a member of diary at B
    assert await _reads_of(a, post) == [uris["dan"]]


async def test_activities_that_cross_subnets_are_refused(
    example: tuple[TestNode, TestNode, TestNode, dict[str, str], Browser],
    browser: BrowserFactory,
) -> None:
    a, b, _s, uris, _ = example
    post, carers, diary = uris["post"], uris["carers"], uris["diary"]
    dan = browser(b)
    await dan.sign_in("dan")
    await write(dan, carers, "Dan's carers post (marker SC2)")
    dans_post = await b.post_uri("Dan's carers post (marker SC2)")
    await eventually(lambda: _has_ref(a, dans_post))
    reply = {
        "type": "Create",
        "object": {"id": f"{b.url}/posts/{uuid.uuid4().hex}", "type": "Note", "inReplyTo": post},
        "target": carers,
        "audience": carers,
    }
    cases = [
        (uris["dan_carers"], reply),  # a carers reply to a diary post
        (uris["dan_carers"], {"type": "Like", "object": post, "audience": carers}),
        (uris["bea"], {"type": "Like", "object": post, "audience": diary}),  # not in diary
        (uris["dan_carers"], {"type": "Delete", "object": dans_post, "audience": diary}),
        (
            uris["dan_carers"],
            {"type": "Update", "object": {"id": dans_post, "type": "Note"}, "audience": diary},
        ),
    ]
    for signer, activity in cases:
        # refused at the door (403; 401 when A may not even see who signed) or when processed
        assert await _send(b, a, signer, activity) in ("rejected", "401", "403"), activity
    assert await a.count(Reaction) == 0
    assert await _has_ref(a, dans_post)  # the wrongly addressed Delete removed nothing
    assert await a.count(PostRef) == 1
    good_like = {"type": "Like", "object": post, "audience": diary}
    assert await _send(b, a, uris["dan"], good_like) == "done"  # the right way still works
    assert await a.count(Reaction) == 1


async def test_a_post_filed_under_another_subnet_by_a_third_node_is_refiled_by_its_home(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """S announces a diary post it should not know (held for moderation at A) to B as one of
    circle's; when A releases it into diary, B files it under diary, where dan reads it, and
    never shows it on circle; S cannot file it back."""
    a, b, s = [await start_node(n) for n in ("Diary Home", "Reader", "Other Host")]
    await peer_all(a, b, s)
    await a.add_user("dr-diaz", "clinician")
    await a.add_user("dina", "carer")
    await b.add_user("bea", "carer")
    await b.add_user("dan", "carer")
    diary = await manage.subnet_create(a.directory, "diary", "Diary")
    await manage.subnet_policy(a.directory, "diary", PolicyChange(premoderation=True))
    await share(a, "diary", b)
    circle = await manage.subnet_create(s.directory, "circle", "Circle")
    await share(s, "circle", b)
    for username in ("dr-diaz", "dina"):
        await manage.subnet_add(a.directory, "diary", username)
    await manage.subnet_add(b.directory, diary, "dan")
    await manage.subnet_add(b.directory, circle, "bea")
    dan_uri = await b.member_uri("dan", diary)
    await eventually(lambda: _has_member(a, diary, dan_uri))
    people = {}
    for node, username in ((a, "dr-diaz"), (a, "dina"), (b, "bea"), (b, "dan")):
        people[username] = browser(node)
        await people[username].sign_in(username)
    await write(people["dina"], diary, DIARY_TEXT)
    post = await a.post_uri(DIARY_TEXT)
    announce = {"type": "Announce", "object": {"id": post, "type": "Note"}, "audience": circle}
    assert await _send(s, b, circle, announce) == "done"
    status, _ = await moderate(people["dr-diaz"], diary, {"action": "release", "object": post})
    assert status == 200

    async def refiled() -> bool:
        async with b.db.transaction() as session:
            ref = await session.get(PostRef, post)
        return ref is not None and ref.subnet_uri == diary

    await eventually(refiled)
    await eventually(lambda: shows(people["dan"], diary, "marker SC1"))
    assert not await shows(people["bea"], circle, "marker SC1")
    assert await _send(s, b, circle, announce) == "rejected"
    assert await refiled()
