"""Subnet libraries over real HTTP: staff write, reorder and retire items (each audited),
Markdown comes out safe, bad files are refused with nothing kept, files answer Range requests,
and a partner's member reads pages and files through their own node while the bytes stay
only at the home; reads are counted without naming anyone."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import aiohttp
from conftest import Browser, BrowserFactory, StartNode, TestNode, carers_pair, signed_get
from sqlalchemy import select

from node import manage
from storage.models import Audit, LibraryReader, LibraryResource

MARKER = b"LIBRARY-PDF-MARKER-7d1f2c"


def pdf(size: int = 4000, marker: bytes = MARKER) -> bytes:
    body = b"%PDF-1.4\n" + marker + b"\n"
    return body + bytes((i * 7) % 251 for i in range(size - len(body)))


def library_path(subnet: str) -> str:
    return f"/subnet/library?id={quote(subnet, safe='')}"


async def write_page(
    staff: Browser, subnet: str, title: str, body: str, section: str = ""
) -> tuple[int, str]:
    return await staff.submit(
        f"/subnet/library/new?id={quote(subnet, safe='')}",
        "/subnet/library/new",
        {"subnet": subnet, "section": section, "title": title, "body": body},
    )


async def attach(
    staff: Browser,
    subnet: str,
    data: bytes,
    *,
    title: str = "Leaflet",
    kind: str = "document",
    filename: str = "leaflet.pdf",
    content_type: str = "application/pdf",
) -> tuple[int, str]:
    _, html = await staff.get(f"/subnet/library/new?id={quote(subnet, safe='')}&kind={kind}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, html[:300]
    form = aiohttp.FormData()
    form.add_field("csrf_token", token.group(1))
    form.add_field("kind", kind)
    form.add_field("section", "Documents")
    form.add_field("title", title)
    form.add_field("body", "")
    form.add_field("file", io.BytesIO(data), filename=filename, content_type=content_type)
    async with staff.http.post(
        f"{staff.base}/subnet/library/attach?id={quote(subnet, safe='')}", data=form
    ) as response:
        return response.status, await response.text()


async def items(node: TestNode) -> list[LibraryResource]:
    async with node.db.transaction() as s:
        return list((await s.scalars(select(LibraryResource))).all())


async def audit_actions(node: TestNode) -> list[str]:
    async with node.db.transaction() as s:
        rows = (await s.scalars(select(Audit).order_by(Audit.seq))).all()
    return [row.action for row in rows if row.action.startswith("library.")]


def item_id_for(html: str, title: str) -> str:
    found = re.search(r'item=([0-9a-f]{32})">' + re.escape(title) + "<", html)
    assert found, f"{title!r} not linked"
    return found.group(1)


async def one_trust(
    start_node: StartNode, browser: BrowserFactory, **settings: object
) -> tuple[TestNode, str, Browser, Browser]:
    a = await start_node("Host Trust", **settings)
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "patient", "Sam")
    subnet = await manage.subnet_create(a.directory, "waiting", "Waiting well")
    await manage.subnet_add(a.directory, "waiting", "dr-ahmed")
    await manage.subnet_add(a.directory, "waiting", "sam")
    dr, sam = browser(a), browser(a)
    await dr.sign_in("dr-ahmed")
    await sam.sign_in("sam")
    return a, subnet, dr, sam


async def test_staff_write_reorder_edit_and_retire_pages_each_audited(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, subnet, dr, sam = await one_trust(start_node, browser)
    assert (await write_page(dr, subnet, "About the service", "We are here.", "Start"))[0] == 200
    assert (await write_page(dr, subnet, "Sleep", "Some *tips*.", "Start"))[0] == 200
    _, html = await sam.get(library_path(subnet))
    assert html.index("About the service") < html.index("Sleep")
    first, second = item_id_for(html, "About the service"), item_id_for(html, "Sleep")

    move = {"subnet": subnet, "item": second, "action": "up"}
    assert (await dr.submit(library_path(subnet), "/subnet/library/change", move))[0] == 200
    _, html = await sam.get(library_path(subnet))
    assert html.index("Sleep") < html.index("About the service")

    edited = {"subnet": subnet, "item": first, "section": "Start", "title": "Our service"}
    status, _ = await dr.submit(
        f"/subnet/library/edit?id={quote(subnet, safe='')}&item={first}",
        "/subnet/library/edit",
        {**edited, "body": "We are here to help."},
    )
    assert status == 200
    retire = {"subnet": subnet, "item": second, "action": "retire"}
    assert (await dr.submit(library_path(subnet), "/subnet/library/change", retire))[0] == 200

    _, html = await sam.get(library_path(subnet))
    assert "Our service" in html and "Sleep" not in html
    status, _ = await sam.get(f"/subnet/library/item?id={quote(subnet, safe='')}&item={second}")
    assert status == 404
    _, staff_view = await dr.get(library_path(subnet))
    assert "Retired" in staff_view and "Sleep" in staff_view
    assert await audit_actions(a) == [
        "library.added",
        "library.added",
        "library.reordered",
        "library.edited",
        "library.retired",
    ]

    # A patient cannot change the library, and an empty page is refused with every problem.
    status, _ = await sam.submit(
        f"/subnet?id={quote(subnet, safe='')}",
        "/subnet/library/new",
        {"subnet": subnet, "title": "Mine", "body": "x"},
    )
    assert status == 403
    status, html = await write_page(dr, subnet, "", "")
    assert status == 400 and "Enter a title" in html and "Write the page" in html
    assert len(await items(a)) == 2


async def test_markdown_comes_out_sanitised(start_node: StartNode, browser: BrowserFactory) -> None:
    _, subnet, dr, sam = await one_trust(start_node, browser)
    body = (
        "# Hello\n\n<script>alert('x')</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n'
        "[click me](javascript:alert(1)) and [the NHS](https://www.nhs.uk)\n\n"
        '![pic](https://example.org/a.png" onerror="alert(2))\n'
    )
    assert (await write_page(dr, subnet, "Risky", body))[0] == 200
    _, html = await sam.get(library_path(subnet))
    status, page = await sam.get(
        f"/subnet/library/item?id={quote(subnet, safe='')}&item={item_id_for(html, 'Risky')}"
    )
    assert status == 200
    content = page.split('class="sharon-library-page">', 1)[1].split("</div>", 1)[0]
    assert "<h2>Hello</h2>" in content
    assert "<script" not in content and "<img" not in content
    assert not re.search(r"<[^>]*\bon\w+\s*=", content)
    assert not re.search(r'href="\s*javascript:', content, re.IGNORECASE)
    assert '<a href="https://www.nhs.uk" rel="noopener noreferrer nofollow">' in content


async def test_bad_files_are_refused_with_nothing_kept(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, subnet, dr, _ = await one_trust(start_node, browser, library_max_document_bytes=8192)
    status, html = await attach(dr, subnet, pdf(20_000))
    assert status == 400 and "The file is larger than" in html
    status, html = await attach(dr, subnet, b"#!/bin/sh\nrm -rf /\n" * 20, filename="notes.pdf")
    assert status == 400 and "The file is not a PDF" in html
    status, html = await attach(
        dr, subnet, pdf(2000), kind="video", filename="film.mp4", content_type="video/mp4"
    )
    assert status == 400 and "not an MP4 or WebM video" in html
    assert await items(a) == []
    stored = a.directory / "library"
    assert not stored.exists() or list(stored.iterdir()) == []
    assert await audit_actions(a) == []


async def test_a_range_request_returns_206_with_the_right_bytes(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _, subnet, dr, sam = await one_trust(start_node, browser)
    data = pdf(5000)
    assert (await attach(dr, subnet, data))[0] == 200
    _, html = await sam.get(library_path(subnet))
    file_url = f"{sam.base}/subnet/library/file?id={quote(subnet, safe='')}&item=" + item_id_for(
        html, "Leaflet"
    )
    async with sam.http.get(file_url, headers={"Range": "bytes=100-199"}) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        assert await response.read() == data[100:200]
    async with sam.http.get(file_url) as response:
        assert response.status == 200 and response.content_type == "application/pdf"
        assert await response.read() == data

    video = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
    status, _ = await attach(
        dr, subnet, video, title="A film", kind="video", filename="a.mp4", content_type="video/mp4"
    )
    assert status == 200
    _, html = await sam.get(library_path(subnet))
    film = item_id_for(html, "A film")
    status, page = await sam.get(f"/subnet/library/item?id={quote(subnet, safe='')}&item={film}")
    assert status == 200 and "<video" in page
    film_url = f"{sam.base}/subnet/library/file?id={quote(subnet, safe='')}&item={film}"
    async with sam.http.get(film_url, headers={"Range": "bytes=-100"}) as response:
        assert response.status == 206 and response.content_type == "video/mp4"
        assert await response.read() == video[-100:]


def bytes_under(directory: Path, needle: bytes) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and needle in p.read_bytes()]


async def test_a_partner_member_reads_through_their_own_node_and_bytes_stay_home(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await carers_pair(start_node, browser)
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    dr = browser(a)
    await dr.sign_in("dr-ahmed")
    page_text = "Carers' rights: a unique page text 4b9e"
    assert (await write_page(dr, subnet, "Your rights", page_text, "Help"))[0] == 200
    data = pdf(5 * 1024 * 1024)  # larger than a form or a federation document may be
    assert (await attach(dr, subnet, data))[0] == 200

    status, html = await alex.get(library_path(subnet))  # at B, read live from A
    assert status == 200 and "Your rights" in html and "Leaflet" in html
    page_id, file_id = item_id_for(html, "Your rights"), item_id_for(html, "Leaflet")
    item_path = f"/subnet/library/item?id={quote(subnet, safe='')}&item={page_id}"
    status, page = await alex.get(item_path)
    assert status == 200 and page_text in page.replace("&#39;", "'")
    file_url = f"{alex.base}/subnet/library/file?id={quote(subnet, safe='')}&item={file_id}"
    assert file_url.startswith(b.url)
    for _ in range(2):  # the second time from B's RAM, once A said it is unchanged
        async with alex.http.get(file_url) as response:
            assert response.status == 200 and await response.read() == data
    async with alex.http.get(file_url, headers={"Range": "bytes=10-29"}) as response:
        assert response.status == 206 and await response.read() == data[10:30]

    for needle in (MARKER, page_text.encode()):
        assert bytes_under(b.directory, needle) == [], "the partner wrote library bytes to disk"
        assert needle.decode() not in await b.all_rows_text()
    assert bytes_under(a.directory / "library", MARKER)

    # Counts, never who: alex read both (twice), sam reads the page once; staff are not counted.
    for reader in (sam, dr):
        status, _ = await reader.get(item_path)
        assert status == 200
    _, staff_view = await dr.get(library_path(subnet))
    assert re.search(rf'data-readers="{page_id}">2<', staff_view)
    assert re.search(rf'data-readers="{file_id}">1<', staff_view)
    async with a.db.transaction() as s:
        keys = [row.reader_key for row in (await s.scalars(select(LibraryReader))).all()]
    assert len(keys) == 3 and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    rows = "\n".join(keys)
    for name in ("alex", "sam", "Alex", "Sam", b.url, "/members/", "/people/"):
        assert name not in rows and name not in staff_view.split('id="items"')[1].split("</ul>")[0]


async def test_non_members_and_other_nodes_get_nothing(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, _, alex = await carers_pair(start_node, browser)
    c = await start_node("Third Trust")
    await manage.peer_add(a.directory, c.url)
    await manage.peer_add(c.directory, a.url)
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    await a.add_user("outsider", "carer", "Outsider")
    dr, outsider = browser(a), browser(a)
    await dr.sign_in("dr-ahmed")
    await outsider.sign_in("outsider")
    assert (await write_page(dr, subnet, "Members only", "Hello members."))[0] == 200
    assert (await attach(dr, subnet, pdf(3000)))[0] == 200
    _, html = await dr.get(library_path(subnet))
    page_id, file_id = item_id_for(html, "Members only"), item_id_for(html, "Leaflet")
    query = f"id={quote(subnet, safe='')}&item="
    for path in (
        library_path(subnet),
        f"/subnet/library/item?{query}{page_id}",
        f"/subnet/library/file?{query}{file_id}",
    ):
        status, text = await outsider.get(path)
        assert status == 404 and "Members only" not in text
    for path in (f"/subnet/library/new?id={quote(subnet, safe='')}",):
        assert (await outsider.get(path))[0] == 403

    stranger = quote(f"{b.url}/members/nobody", safe="")
    member = quote(await b.member_uri("alex", subnet), safe="")
    base = f"{subnet}/library"
    assert (await signed_get(b, f"{base}?for={member}"))[0] == 200
    assert (await signed_get(b, f"{base}?for={stranger}"))[0] == 404
    assert (await signed_get(b, f"{base}/{file_id}/file?for={stranger}"))[0] == 404
    assert (await signed_get(c, f"{base}?for={member}"))[0] == 404  # not a partner
    assert (await signed_get(c, f"{base}/{page_id}?for={member}"))[0] == 404
    async with aiohttp.ClientSession() as http, http.get(f"{base}?for={member}") as response:
        assert response.status == 401  # unsigned
    assert "Members only" in (await alex.get(library_path(subnet)))[1]
