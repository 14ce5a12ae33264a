"""The privacy promises, proved on four real nodes: host A shares "carers" with B and C; D is an
agreed peer but not a partner. People join, post, reply, react, edit and delete; then A stops
sharing with C and a member leaves. Afterwards an information-governance lead can check:

* the text of every post is stored only in its author's home database file, and a deleted
  post's text not even there;
* no request any node sent carried anybody's real name, email, phone or NHS number (planted in
  every local profile), nor the text of any post (content travels only in answers to signed
  fetches by partners);
* D received nothing of the subnet and was refused every fetch, with nothing stored or audited;
* C, no longer a partner, holds no reference of the subnet and is refused;
* every read by a partner is in the home node's audit log: who, which node, which post.

In the same federation, files, messages and journals: a picture posted at A (with a planted GPS
position and camera in its EXIF) and a library page and PDF added there are read by partner
members through their own nodes, yet their bytes are found in no other node's database or data
directory, and no byte of the picture served anywhere keeps the EXIF; care-team messages and
journal entries written at A are in no request sent and in no other node's storage.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from functools import partial
from urllib.parse import quote, urlsplit

import aiohttp
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
    write,
)
from PIL import ExifTags, Image
from test_library import attach, item_id_for, library_path, pdf, write_page
from test_messages import add_to_team, conversation_links, person_id, reply, start
from test_pictures import (
    assert_clean,
    fetch,
    holds,
    photo_with_secrets,
    picture_path,
    post_picture,
    samples,
)

from actors.clock import utcnow
from node import manage
from node.app import HOUSEKEEPER
from storage.models import Audit, InboxItem, Membership, PersonalDetails, PostRef

PEOPLE = {  # node index → (username, role)
    0: [("dr-ahmed", "clinician"), ("sam", "carer")],
    1: [("nurse-kim", "clinician"), ("alex", "carer")],
    2: [("jo", "patient")],
    3: [("kit", "patient")],
}


def _details(username: str, index: int) -> PersonalDetails:
    """Unmistakable personal data for one person (NHS numbers in the 999 test range)."""
    return PersonalDetails(
        real_name=f"Realname{username.title().replace('-', '')} Surname{index}",
        email=f"{username}.private{index}@example.nhs.uk",
        phone=f"07700 900{index:03d}",
        nhs_number=f"999 {index:03d} {index:04d}",
    )


async def _plant(node: TestNode, username: str, index: int) -> list[str]:
    person_id = (await node.person_uri(username)).rsplit("/", 1)[1]
    details = _details(username, index)
    details.person_id = person_id
    async with node.db.transaction() as s:
        s.add(details)
    return [details.real_name, details.email, details.phone, details.nhs_number]  # type: ignore[list-item]


@dataclass
class FourTrusts:
    """A hosts "carers", shared with partners B and C; D is an agreed peer but not a partner.
    Members: dr-ahmed and sam at A, nurse-kim and alex at B, jo at C (all but dr-ahmed signed
    in); `planted` is every local profile's personal data."""

    nodes: list[TestNode]
    subnet: str
    people: dict[str, Browser]
    planted: list[str]


async def _four_trusts(start_node: StartNode, browser: BrowserFactory) -> FourTrusts:
    nodes = [await start_node(n) for n in ("Berkshire", "Oxford Health", "Bucks", "Surrey")]
    a, b, c, d = nodes
    await peer_all(*nodes)
    planted: list[str] = []
    for index, node in enumerate(nodes):
        for number, (username, role) in enumerate(PEOPLE[index]):
            await node.add_user(username, role, f"{username.title()} P")
            planted += await _plant(node, username, index * 10 + number)
    subnet = await manage.subnet_create(a.directory, "carers", "Carers across the region")
    await manage.subnet_create(d.directory, "own", "D's own subnet")
    await share(a, "carers", b)
    await share(a, "carers", c)
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, subnet, "nurse-kim")
    await manage.subnet_add(c.directory, subnet, "jo")
    people: dict[str, Browser] = {}
    for node, username in ((a, "sam"), (b, "nurse-kim"), (b, "alex"), (c, "jo")):
        people[username] = browser(node)
        await people[username].sign_in(username)
    await eventually(lambda: _count_members(a, subnet, 4))
    status, _ = await people["nurse-kim"].submit(  # join: a clinician adds their carer
        f"/moderate?id={quote(subnet, safe='')}",
        "/moderate",
        {"subnet": subnet, "action": "add", "username": "alex"},
    )
    assert status == 200
    await eventually(lambda: _count_members(a, subnet, 5))
    return FourTrusts(nodes, subnet, people, planted)


async def test_four_trusts_keep_content_home_and_personal_data_in(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    trusts = await _four_trusts(start_node, browser)
    nodes, subnet, people, planted = trusts.nodes, trusts.subnet, trusts.people, trusts.planted
    a, b, c, d = nodes

    texts = {
        "host": "Sam writes first about respite (marker 4T-HOST)",
        "edited": "Sam edited this post later (marker 4T-EDIT)",
        "partner": "Alex writes from Oxford (marker 4T-PARTNER)",
        "reply": "Jo replies from Bucks (marker 4T-REPLY)",
        "deleted": "Jo says too much, then deletes it (marker 4T-DELETED)",
    }
    await write(people["sam"], subnet, texts["host"])
    await write(people["alex"], subnet, texts["partner"])
    for person in ("alex", "jo"):
        await eventually(lambda p=person: shows(people[p], subnet, texts["host"]))
    host_post = await a.post_uri(texts["host"])
    partner_post = await b.post_uri(texts["partner"])
    await write(people["jo"], subnet, texts["reply"], in_reply_to=host_post)
    await write(people["jo"], subnet, texts["deleted"])
    await eventually(lambda: shows(people["sam"], subnet, texts["reply"]))
    await eventually(lambda: shows(people["alex"], subnet, texts["deleted"]))
    assert await act(people["alex"], subnet, "/posts/like", {"object": host_post}) == 200
    await eventually(lambda: shows(people["sam"], subnet, "1 like<"))
    await act(
        people["sam"], subnet, "/posts/edit", {"object": host_post, "content": texts["edited"]}
    )
    await eventually(lambda: shows(people["jo"], subnet, texts["edited"]))
    deleted_post = await c.post_uri(texts["deleted"])
    await act(people["jo"], subnet, "/posts/delete", {"object": deleted_post})
    for person in ("sam", "alex"):
        await eventually(lambda p=person: _gone(people[p], subnet, texts["deleted"]))

    await manage.subnet_unshare(a.directory, "carers", c.url)  # unshare
    await eventually(lambda: _refs(c, 0))
    assert await act(people["alex"], subnet, "/subnet/leave", {}) == 200  # leave
    await eventually(lambda: _count_members(a, subnet, 3))  # dr-ahmed, sam, nurse-kim
    await eventually(lambda: _queues_drained(nodes))

    # 1. Every post's text is stored only in its author's home database.
    homes = {"host": a, "edited": a, "partner": b, "reply": c, "deleted": c}
    for key, text in texts.items():
        for node in nodes:
            held = text in await node.all_rows_text()
            on_disk = any(text.encode() in p.read_bytes() for p in node.sqlite_files)
            if node is not homes[key]:
                assert not held and not on_disk, (key, node.name)
    assert texts["deleted"] not in await c.all_rows_text()  # erased at home too
    await c.runner.app[HOUSEKEEPER].run_once(utcnow())
    assert not any(texts["deleted"].encode() in p.read_bytes() for p in c.sqlite_files)

    # 2. No request any node sent carried personal data or post text.
    sent = [request for node in nodes for request in node.sent]
    assert any(r.method == "POST" and b'"Create"' in r.body for r in sent)  # capture works
    for request in sent:
        wire = f"{request.url}\n{request.headers}\n".encode() + request.body
        for secret in planted:
            assert secret.encode() not in wire, (secret, request.url)
        for text in texts.values():
            assert text.encode() not in wire, (text, request.url)

    # 3. D received nothing of the subnet, and is refused every fetch.
    d_host = urlsplit(d.url).netloc
    to_d = [r for r in sent if urlsplit(r.url).netloc == d_host]
    assert all(subnet.encode() not in r.body and subnet not in r.url for r in to_d)
    assert await d.count(InboxItem) == 0 and subnet not in await d.all_rows_text()
    audit_before = await a.count(Audit)
    for url in (subnet, host_post, await b.member_uri("nurse-kim", subnet)):
        status, body = await signed_get(d, url)
        assert status == 404 and b"marker" not in body, url
    for home, post in ((a, host_post), (b, partner_post)):
        status, body = await signed_get(d, f"{home.url}/objects?id={quote(post, safe='')}")
        assert status == 200 and json.loads(body)["totalItems"] == 0
    assert await a.count(Audit) == audit_before  # no read was granted, so none is audited
    kit = await d.person_uri("kit")
    async with aiohttp.ClientSession() as http:
        client = d.signed_client(http)
        join = _activity(d, "Join", kit, subnet)
        refused = await client.post(f"{a.url}/inbox", join, signer=kit, scheme="rfc9421")
        assert refused.status == 401  # kit's key is not even shown to A: not a partner
        join = _activity(d, "Join", f"{d.url}/actor", subnet)
        refused = await client.post(
            f"{a.url}/inbox", join, signer=f"{d.url}/actor", scheme="rfc9421"
        )
        assert refused.status == 403  # signed by an agreed peer, but never offered the subnet
    assert join["id"] not in await a.all_rows_text()
    assert await _count_members(a, subnet, 3) and d.url not in await a.all_rows_text(
        skip=("inbox_item", "peer", "remote_actor", "audit")
    )

    # 4. C, no longer a partner, holds no reference and is refused.
    assert await c.count(PostRef) == 0 and await _count_members(c, subnet, 0)
    for home, post in ((a, host_post), (b, partner_post)):
        status, body = await signed_get(c, f"{home.url}/objects?id={quote(post, safe='')}")
        assert status == 200 and json.loads(body)["totalItems"] == 0
    status, _ = await signed_get(c, host_post)
    assert status == 404

    # 5. The host audited every partner read: who, which node, which post.
    async with a.db.transaction() as s:
        reads = (await s.execute(Audit.__table__.select())).all()
    reads = [r for r in reads if r.action == "remote_read"]
    assert {urlsplit(r.via).netloc if "://" in r.via else r.via for r in reads} >= {
        urlsplit(b.url).netloc,
        urlsplit(c.url).netloc,
    }
    assert all(r.who.startswith((b.url, c.url)) and r.target == host_post for r in reads)


PICTURE_POST = "Sam shares a photo from the garden (marker 4T-PICTURE)"
ALT = "A bench under an apple tree in a garden (marker 4T-ALT)"
PAGE_TITLE = "Respite breaks"
PAGE_TEXT = "Respite breaks across the region are listed on this page (marker 4T-PAGE)"
DOCUMENT_TITLE = "Carers grant leaflet"
PDF_MARKER = b"4T-PDF-MARKER-c81e5a"
PRIVATE = {
    "team message": "Sam asks the care team about the respite grant (marker 4T-MSG)",
    "team reply": "Dr Ahmed answers about the carers grant form (marker 4T-RPL)",
    "shared journal": "A long day, shared with my clinicians (marker 4T-JSH)",
    "private journal": "Planted tomatoes with my dad this afternoon (marker 4T-JPR)",
}


async def test_four_trusts_keep_files_messages_and_journals_home(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """A picture (posted with a planted GPS position and camera), a library page and a PDF at A
    are read by partner members through B and C; care-team messages and journal entries are
    written at A. Afterwards the bytes of all of it are only at A, the non-partner D got nothing,
    no request carried any of it, and no byte of the picture served anywhere holds the EXIF."""
    trusts = await _four_trusts(start_node, browser)
    nodes, subnet, people = trusts.nodes, trusts.subnet, trusts.people
    a, b, c, d = nodes
    sam, dr = people["sam"], browser(a)
    await dr.sign_in("dr-ahmed")

    original = photo_with_secrets()
    status, html = await post_picture(sam, subnet, PICTURE_POST, original, alt=ALT)
    assert status == 200, html[:400]
    post = await a.post_uri(PICTURE_POST)
    assert (await write_page(dr, subnet, PAGE_TITLE, PAGE_TEXT, "Help"))[0] == 200
    document = pdf(200_000, marker=PDF_MARKER)
    assert (await attach(dr, subnet, document, title=DOCUMENT_TITLE))[0] == 200
    served: dict[tuple[str, bool], bytes] = {}
    for thumbnail in (False, True):
        status, served[("sam", thumbnail)], _ = await fetch(sam, picture_path(post, thumbnail))
        assert status == 200

    # Partner members see the picture and read the library, each through their own node.
    for username, node in (("alex", b), ("jo", c)):
        person = people[username]
        assert person.base == node.url
        await eventually(partial(shows, person, subnet, f'alt="{ALT}"'))
        for thumbnail in (False, True):
            status, data, _ = await fetch(person, picture_path(post, thumbnail))
            assert status == 200 and data == served[("sam", thumbnail)], username
            served[(username, thumbnail)] = data
        status, html = await person.get(library_path(subnet))
        assert status == 200, username
        page_id, file_id = item_id_for(html, PAGE_TITLE), item_id_for(html, DOCUMENT_TITLE)
        query = f"id={quote(subnet, safe='')}&item="
        status, page = await person.get(f"/subnet/library/item?{query}{page_id}")
        assert status == 200 and PAGE_TEXT in page, username
        status, data, _ = await fetch(person, f"/subnet/library/file?{query}{file_id}")
        assert status == 200 and data == document, username

    # Every byte of the picture served, at home and at partners, has lost the EXIF.
    assert len(served) == 6
    for data in served.values():
        assert_clean(data)  # no planted make, model or note; no EXIF, XMP or comment block
        with Image.open(io.BytesIO(data)) as image:
            assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}

    # Sam writes to the care team and in the journal; a clinician at home answers.
    sam_id, ahmed_id = await person_id(a, "sam"), await person_id(a, "dr-ahmed")
    await add_to_team(dr, sam_id, ahmed_id)
    status, html = await start(sam, "kind=team", PRIVATE["team message"])
    assert status == 200 and PRIVATE["team message"] in html
    (conversation,) = conversation_links((await dr.get("/messages"))[1])
    status, html = await reply(dr, conversation, PRIVATE["team reply"])
    assert status == 200 and PRIVATE["team reply"] in html
    for key, share_it in (("shared journal", "yes"), ("private journal", "")):
        status, html = await sam.submit(
            "/journal", "/journal", {"text": PRIVATE[key], "mood": "3", "share": share_it}
        )
        assert status == 200 and PRIVATE[key] in html, key
    status, page = await dr.get(f"/staff/people/{sam_id}")
    assert PRIVATE["shared journal"] in page and PRIVATE["private journal"] not in page
    await eventually(lambda: _queues_drained(nodes))

    # The bytes of all of it are at A (its database or data directory), and nowhere else.
    picture_bytes = [piece for data in served.values() for piece in samples(data)]
    kept_home = {
        "picture": picture_bytes + samples(original),
        "library": [PDF_MARKER, PAGE_TEXT.encode()],
        "alt text": [ALT.encode()],
        **{key: [text.encode()] for key, text in PRIVATE.items()},
    }
    assert await holds(a, samples(served[("sam", False)]) + samples(served[("sam", True)]))
    for key in ("library", "alt text", *PRIVATE):
        assert await holds(a, kept_home[key][:1]), key  # the scan would have found them
    for partner in (b, c):
        assert await holds(partner, [subnet.encode()])  # the scan reads what partners do hold
    for node in (b, c, d):
        for key, pieces in kept_home.items():
            assert not await holds(node, pieces), (node.name, key)

    # No request any node sent carried any of it, nor went to a messages or journal page.
    sent = [request for node in nodes for request in node.sent]
    assert any(b"/posts/" in r.body for r in sent)  # the picture's post did travel, by reference
    for request in sent:
        wire = f"{request.url}\n{request.headers}\n".encode() + request.body
        assert "/messages" not in request.url and "/journal" not in request.url, request.url
        for key, pieces in kept_home.items():
            assert not any(piece in wire for piece in pieces), (key, request.url)

    # D, an agreed peer but no partner, was sent nothing of the subnet and is refused its files.
    d_host = urlsplit(d.url).netloc
    assert all(
        subnet.encode() not in r.body and subnet not in r.url
        for r in sent
        if urlsplit(r.url).netloc == d_host
    )
    assert subnet not in await d.all_rows_text()
    alex = quote(await b.member_uri("alex", subnet), safe="")
    for url in (
        f"{post}/picture",
        f"{post}/picture/thumbnail",
        f"{post}/picture?for={alex}",
        f"{subnet}/library?for={alex}",
        f"{subnet}/library/{page_id}?for={alex}",
        f"{subnet}/library/{file_id}/file?for={alex}",
    ):
        status, body = await signed_get(d, url)
        assert status == 404 and PDF_MARKER not in body and b"4T-PAGE" not in body, url
    assert not await holds(d, [piece for pieces in kept_home.values() for piece in pieces])


async def _count_members(node: TestNode, subnet: str, n: int) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.execute(Membership.__table__.select())).all()
    return len([r for r in rows if r.subnet_uri == subnet]) == n


async def _refs(node: TestNode, n: int) -> bool:
    return await node.count(PostRef) == n


async def _gone(person: Browser, subnet: str, text: str) -> bool:
    return not await shows(person, subnet, text)


async def _queues_drained(nodes: list[TestNode]) -> bool:
    for node in nodes:
        async with node.db.transaction() as s:
            items = (await s.execute(InboxItem.__table__.select())).all()
        if any(item.state == "pending" for item in items):
            return False
    return True


def _activity(sender: TestNode, kind: str, actor: str, obj: str) -> dict[str, object]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.url}/activities/{uuid.uuid4().hex}",
        "type": kind,
        "actor": actor,
        "object": obj,
    }
