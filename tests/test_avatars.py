"""The author's chosen avatar beside their name on every post and reply, at home and at partner
trusts: on the subnet page, the thread page and in search results. It travels as an AS2 `icon`
(the picture's address at the author's home); a reading node shows its own copy of that one of
the six built-in pictures, and nothing at all for any other icon a peer sends."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp import web
from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    shows,
    signed_get,
    subnet_path,
    write,
)
from faces import FaceFactory, faces

from node import manage

AVATAR = re.compile(
    r'<img class="sharon-avatar sharon-avatar--author" src="(?P<src>[^"]*)" alt="" '
    r'width="32" height="32">'
)
ALEX_POST = "Short walks help me most (marker AV1)"
ALEX_REPLY = "Same here, mornings are hardest (marker AV2)"
SAM_POST = "Anyone else finding mornings hard? (marker AV3)"


@pytest.fixture
async def face() -> AsyncIterator[FaceFactory]:
    async with faces() as make:
        yield make


async def _pair(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, TestNode, str, Browser, Browser]:
    """A (Host Trust, sam) hosts Carers, shared with B (Bucks, alex). A keeps no cached text
    (a TTL of 0), so each of sam's reads asks B afresh."""
    a = await start_node("Host Trust", cache_ttl_seconds=0)
    b = await start_node("Bucks")
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    await b.add_user("alex", "carer", "Alex")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, subnet, "alex")
    await eventually(lambda: _members_are(a, subnet, 2))
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    return a, b, subnet, sam, alex


async def _members_are(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def _choose(person: Browser, avatar: str) -> None:
    status, _ = await person.submit(
        "/account", "/account/profile", {"pseudonym": "Alex", "avatar": avatar}
    )
    assert status == 200


def _cards(html: str) -> dict[str, list[str]]:
    """The avatar addresses shown in each post card, by the marker of the post's text."""
    found = {}
    for card in html.split('<li class="nhsuk-card')[1:]:
        marker = re.search(r"\(marker (AV\d)\)", card)
        if marker:
            own = card.split('<ul class="nhsuk-list sharon-thread', 1)[0]  # not its replies'
            found[marker.group(1)] = [m["src"] for m in AVATAR.finditer(own)]
    return found


def _own_copy(name: str) -> re.Pattern[str]:
    return re.compile(rf"/static/avatars/{name}\.[0-9a-f]{{12}}\.svg")


async def test_a_chosen_avatar_shows_beside_the_name_at_home_and_at_the_partner(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await _pair(start_node, browser)
    await _choose(alex, "wave")
    await write(sam, subnet, SAM_POST)
    await write(alex, subnet, ALEX_POST)
    await eventually(lambda: shows(alex, subnet, "marker AV3"))
    await write(alex, subnet, ALEX_REPLY, in_reply_to=await a.post_uri(SAM_POST))
    await eventually(lambda: shows(sam, subnet, "marker AV2"))

    wave = _own_copy("wave")
    for person in (sam, alex):  # at the partner (fetched from Bucks) and at home
        html = await _shown(person, subnet_path(subnet), "marker AV1", "AV2", "AV3")
        cards = _cards(html)
        assert set(cards) == {"AV1", "AV2", "AV3"}, cards
        for marker in ("AV1", "AV2"):  # alex's post and reply
            (src,) = cards[marker]
            assert wave.fullmatch(src), src  # this node's own copy, never Bucks' address
        assert cards["AV3"] == []  # sam chose none
        assert b.url not in "".join(m["src"] for m in AVATAR.finditer(html))

    thread = "/thread?" + urlencode({"id": await a.post_uri(SAM_POST)})
    cards = _cards(await _shown(sam, thread, "marker AV2"))
    assert cards["AV3"] == [] and len(cards["AV2"]) == 1
    assert wave.fullmatch(cards["AV2"][0])

    for person in (sam, alex):  # found at its home (Bucks) by search, and at home
        html = await _shown(person, "/search?" + urlencode({"q": "walks"}), "marker AV1")
        (src,) = [m["src"] for m in AVATAR.finditer(html)]
        assert wave.fullmatch(src)

    # On the wire: the persona's actor document and the Note's author carry an AS2 icon.
    icon = {
        "type": "Image",
        "mediaType": "image/svg+xml",
        "url": f"{b.url}/static/avatars/wave.svg",
        "name": "wave",
    }
    alex_uri = await b.member_uri("alex", subnet)
    status, body = await signed_get(a, alex_uri)
    assert status == 200 and json.loads(body)["icon"] == icon
    sam_uri = await a.member_uri("sam", subnet)
    post = await b.post_uri(ALEX_POST)
    status, body = await signed_get(a, f"{post}?for={quote(sam_uri, safe='')}")
    assert status == 200 and json.loads(body)["attributedTo"]["icon"] == icon
    status, body = await signed_get(b, sam_uri)
    assert status == 200 and "icon" not in json.loads(body)
    status, svg = await browser(b).get("/static/avatars/wave.svg")  # what a stock server links
    assert status == 200 and svg.startswith("<svg")


async def test_a_changed_or_removed_avatar_changes_on_the_next_read(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await _pair(start_node, browser)
    await _choose(alex, "wave")
    await write(alex, subnet, ALEX_POST)
    await eventually(lambda: shows(sam, subnet, "marker AV1"))

    async def shown_to_sam() -> list[str]:
        return _cards(await _shown(sam, subnet_path(subnet), "marker AV1"))["AV1"]

    (src,) = await shown_to_sam()
    assert _own_copy("wave").fullmatch(src), src
    await _choose(alex, "star")
    (src,) = await shown_to_sam()
    assert _own_copy("star").fullmatch(src), src
    # The partner's copy of the persona's actor document hears too (an Update from home).
    await eventually(lambda: _told(b, a, "/static/avatars/star.svg"))

    await _choose(alex, "")  # "No picture"
    assert await shown_to_sam() == []
    _, home = await alex.get(subnet_path(subnet))
    assert _cards(home)["AV1"] == []
    _, body = await signed_get(a, await b.member_uri("alex", subnet))
    assert "icon" not in json.loads(body)


async def _shown(person: Browser, path: str, *texts: str) -> str:
    """The page at `path` once it shows every one of `texts` (a read from a partner that a
    loaded machine let time out is tried again)."""
    page = ""

    async def check() -> bool:
        nonlocal page
        status, page = await person.get(path)
        return status == 200 and all(text in page for text in texts)

    await eventually(check)
    return page


async def _told(sender: TestNode, receiver: TestNode, text: str) -> bool:
    return any(
        sent.url.startswith(receiver.url) and text.encode() in sent.body for sent in sender.sent
    )


def _with_icon(icon: Any) -> Any:
    """A rule for B's face: its real answer, the author's icon replaced by `icon`."""

    async def rule(request: web.Request, status: int, payload: bytes) -> web.StreamResponse:
        document = json.loads(payload)
        for item in document.get("items", []):
            item["attributedTo"]["icon"] = icon
        return web.Response(body=json.dumps(document).encode(), content_type="application/json")

    return rule


async def test_an_icon_a_peer_sends_that_is_not_one_of_its_own_avatars_shows_none(
    start_node: StartNode, browser: BrowserFactory, face: FaceFactory
) -> None:
    a, b, subnet, sam, alex = await _pair(start_node, browser)
    hostile = await face(b)
    await _choose(alex, "wave")
    await write(alex, subnet, ALEX_POST)
    await eventually(lambda: shows(sam, subnet, "marker AV1"))
    base = b.url
    icons: dict[str, Any] = {
        "another host": {"type": "Image", "url": "https://evil.example/static/avatars/wave.svg"},
        "the reader's own host": {"type": "Image", "url": f"{a.url}/static/avatars/wave.svg"},
        "a path up": {"type": "Image", "url": f"{base}/static/avatars/../../etc/passwd"},
        "a path up and down": {"type": "Image", "url": f"{base}/static/x/../avatars/wave.svg"},
        "javascript": {"type": "Image", "url": "javascript:alert(1)//static/avatars/wave.svg"},
        "data": {"type": "Image", "url": "data:image/svg+xml,<svg onload=alert(1)>"},
        "not one of the six": {"type": "Image", "url": f"{base}/static/avatars/me.svg"},
        "a query": {"type": "Image", "url": f"{base}/static/avatars/wave.svg?track=1"},
        "a name only": {"type": "Image", "name": "wave"},
        "a string": f"{base}/static/avatars/wave.svg",
        "a number": 7,
        "a list of junk": [{"url": ["x", 1]}, None],
    }
    for why, icon in icons.items():
        hostile.rules["/objects"] = _with_icon(icon)
        hostile.rules["/objects/search"] = _with_icon(icon)
        for path in (subnet_path(subnet), "/search?" + urlencode({"q": "walks"})):
            # The answer is used (the post is shown), not dropped: no avatar is not an error.
            html = await _shown(sam, path, "marker AV1")
            assert not AVATAR.search(html), (why, path)
            assert "evil.example" not in html and "javascript:" not in html, (why, path)

    del hostile.rules["/objects"]
    (src,) = _cards(await _shown(sam, subnet_path(subnet), "marker AV1"))["AV1"]
    assert _own_copy("wave").fullmatch(src)
