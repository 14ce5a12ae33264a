"""The newest services under attack, over real HTTP on real nodes: a hostile person asks for
other people's journal entries, conversations, library items and pictures by id; a hostile
partner node names a reader who is not a member; hostile uploads (no CSRF token, the token after
the file, a form that lies about its length, a huge preamble, a path in the file name, a PDF
that is really HTML, a PNG carrying a script); hostile Range headers; Markdown built to run
script or to take the renderer's time; crafted message and learning-space forms. Each probe
asserts the right answer and that nothing was stored or leaked."""

from __future__ import annotations

import asyncio
import io
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import quote, urlsplit

import aiohttp
from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    carers_pair,
    eventually,
    moderate,
    peer_all,
    signed_get,
)
from PIL import Image
from sqlalchemy import select
from test_library import attach, item_id_for, items, library_path, one_trust, pdf, write_page
from test_messages import add_to_team, person_id, start
from test_pictures import fetch, picture_path, post_picture

from actors.retention import PolicyChange
from node import manage
from storage.models import (
    Conversation,
    Invitation,
    JournalEntry,
    Message,
    Post,
    PostPicture,
)

JOURNAL_SECRET = "Nobody else may read this (marker H1J7)"
TEAM_SECRET = "Only my care team may read this (marker H2C8)"


def uploads_left(node: TestNode) -> list[Path]:
    """Files of the library's folder that no item owns (temporary uploads left behind)."""
    folder = node.directory / "library"
    return sorted(folder.glob("upload-*")) if folder.exists() else []


async def entry(node: TestNode) -> JournalEntry:
    async with node.db.transaction() as s:
        (row,) = (await s.execute(select(JournalEntry))).scalars().all()
    return row


async def test_other_peoples_journal_entries_and_conversations_are_404_and_unchanged(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Home Trust")
    for username, role in (
        ("dr-lee", "clinician"),
        ("dr-kay", "clinician"),
        ("pat", "patient"),
        ("bob", "patient"),
    ):
        await a.add_user(username, role, username.title())
    pat, bob, lee, kay = browser(a), browser(a), browser(a), browser(a)
    for person, username in ((pat, "pat"), (bob, "bob"), (lee, "dr-lee"), (kay, "dr-kay")):
        await person.sign_in(username)

    status, _ = await pat.submit("/journal", "/journal", {"text": JOURNAL_SECRET, "mood": "3"})
    assert status == 200
    written = await entry(a)
    path = f"/journal/{written.id}"
    for action in ("/journal", path, f"{path}/share", f"{path}/delete"):  # without a token
        async with pat.http.post(pat.base + action, data={"text": "No token", "share": "yes"}) as r:
            assert r.status == 403, action
    assert await a.count(JournalEntry) == 1
    status, html = await bob.get(path)
    assert status == 404 and "H1J7" not in html
    for action, fields in (
        (path, {"text": "Overwritten by bob", "mood": "1", "tags": ""}),
        (f"{path}/share", {"share": "yes"}),
        (f"{path}/delete", {}),
    ):
        status, html = await bob.submit("/journal", action, fields)
        assert status == 404 and "H1J7" not in html, action
    # A clinician cannot open a private entry, nor see it on the person's page.
    status, html = await lee.get(path)
    assert status in (403, 404) and "H1J7" not in html
    _, html = await lee.get(f"/staff/people/{await person_id(a, 'pat')}")
    assert "H1J7" not in html
    after = await entry(a)
    assert (after.text, after.shared_at) == (JOURNAL_SECRET, None)
    # Shared with her clinicians, the entry reaches those of her trust, and nobody elsewhere.
    status, _ = await pat.submit("/journal", f"{path}/share", {"share": "yes"})
    assert status == 200
    _, html = await lee.get(f"/staff/people/{await person_id(a, 'pat')}")
    assert "H1J7" in html
    far = await start_node("Far Trust")
    await peer_all(a, far)
    await far.add_user("dr-far", "clinician", "Dr Far")
    far_clinician = browser(far)
    await far_clinician.sign_in("dr-far")
    status, html = await far_clinician.get(f"/staff/people/{await person_id(a, 'pat')}")
    assert status == 404 and "H1J7" not in html
    status, body = await signed_get(far, await a.person_uri("pat"))
    assert b"H1J7" not in body
    assert not any(b"H1J7" in sent.body for sent in a.sent)

    await add_to_team(lee, await person_id(a, "pat"), await person_id(a, "dr-lee"))
    status, _ = await start(pat, "kind=team", TEAM_SECRET)
    assert status == 200
    async with a.db.transaction() as s:
        (conversation,) = (await s.execute(select(Conversation))).scalars().all()
    path = f"/messages/{conversation.id}"
    pages_with_a_form = ("/journal", f"/staff/people/{await person_id(a, 'bob')}")
    for outsider, form_page in zip((bob, kay), pages_with_a_form, strict=True):
        # another patient; a clinician not on the care team
        status, html = await outsider.get(path)
        assert status == 404 and "H2C8" not in html
        status, html = await outsider.submit(form_page, path, {"content": "Butting in"})
        assert status == 404 and "H2C8" not in html
        _, html = await outsider.get("/messages")
        assert "H2C8" not in html
    assert await a.count(Message) == 1

    # Crafted new-message forms: a clinician not on the care team, a fellow patient where peer
    # messages are off, a made-up person, someone of another trust's id: refused, nothing kept.
    await manage.subnet_create(a.directory, "carers", "Carers")
    for username in ("pat", "bob"):
        await manage.subnet_add(a.directory, "carers", username)
    subnet = f"{a.url}/subnets/carers"
    for fields in (
        {"kind": "clinician", "with": await person_id(a, "dr-kay"), "subnet": ""},
        {"kind": "peer", "with": await person_id(a, "bob"), "subnet": subnet},
        {"kind": "peer", "with": await person_id(a, "bob"), "subnet": ""},
        {"kind": "clinician", "with": "0" * 32, "subnet": ""},
    ):
        status, html = await pat.submit("/journal", "/messages/new", {**fields, "content": "Hi"})
        assert status == 403, (fields, html[:300])
    # Forms without their CSRF token.
    for action in ("/messages/new", path):
        async with pat.http.post(
            pat.base + action, data={"kind": "team", "content": "No token"}
        ) as response:
            assert response.status == 403
    assert await a.count(Message) == 1 and await a.count(Conversation) == 1


async def test_library_items_and_pictures_by_id_and_by_a_partner_naming_a_non_member(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, _ = await carers_pair(start_node, browser)
    c = await start_node("Third Trust")
    await manage.peer_add(a.directory, c.url)
    await manage.peer_add(c.directory, a.url)
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    await b.add_user("mallory", "carer", "Mallory")
    await c.add_user("trudy", "carer", "Trudy")
    await manage.subnet_create(b.directory, "locals", "Locals")
    await manage.subnet_add(b.directory, "locals", "mallory")
    dr, mallory = browser(a), browser(b)
    await dr.sign_in("dr-ahmed")
    await mallory.sign_in("mallory")
    assert (await attach(dr, subnet, pdf(3000)))[0] == 200
    _, html = await dr.get(library_path(subnet))
    file_id = item_id_for(html, "Leaflet")
    assert (await post_picture(sam, subnet, "A photo for members (marker H3P5)", png()))[0] == 200
    post = await a.post_uri("A photo for members (marker H3P5)")
    post_id = post.rsplit("/", 1)[1]

    # A person of the partner who is not a member, asking their own node.
    status, text = await mallory.get(
        f"/subnet/library/file?id={quote(subnet, safe='')}&item={file_id}"
    )
    assert status == 404 and "PDF" not in text[:20]
    status, data, _ = await fetch(mallory, picture_path(post))
    assert status == 404 and not data.startswith(b"\x89PNG")

    # The partner node itself, naming readers who may not read.
    home = f"{a.url}/subnets/carers/library/{file_id}/file"
    alex_uri = await b.member_uri("alex", subnet)
    for reader in (
        await b.person_uri("mallory"),  # a person of B, not a member
        f"{b.url}/members/{'0' * 32}",  # made up
        await a.member_uri("sam", subnet),  # a member, but of the home, not of the asking node
        alex_uri.replace(b.url, b.url + "/x/.."),  # the member's URI, dressed up
        "",
    ):
        for url in (
            f"{home}?for={quote(reader, safe='')}",
            f"{a.url}/posts/{post_id}/picture?for={quote(reader, safe='')}",
            f"{a.url}/subnets/carers/library?for={quote(reader, safe='')}",
        ):
            status, body = await signed_get(b, url)
            assert status == 404 and MARKER_PDF not in body and b"PNG" not in body, url
    # A node the subnet is not shared with, naming a real member of the partner.
    for url in (
        f"{home}?for={quote(alex_uri, safe='')}",
        f"{a.url}/posts/{post_id}/picture?for={quote(alex_uri, safe='')}",
    ):
        status, body = await signed_get(c, url)
        assert status in (403, 404) and b"PNG" not in body and MARKER_PDF not in body, url
    # The partner moderators' queue: only for a moderator the home granted on the asking node.
    queue = f"{a.url}/subnets/carers/queue"
    for node, reader in (
        (b, alex_uri),  # a member of the partner, not a moderator
        (b, await b.person_uri("mallory")),
        (b, await a.member_uri("dr-ahmed", subnet)),  # the home's own moderator, named by B
        (c, alex_uri),
    ):
        status, body = await signed_get(node, f"{queue}?for={quote(reader, safe='')}")
        assert status in (403, 404) and b"Note" not in body, (node.name, reader)
    # An unsigned request gets nothing either; the right reader through the right node does.
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{home}?for={quote(alex_uri, safe='')}") as response:
            assert response.status in (401, 403, 404)
            assert MARKER_PDF not in await response.read()
    status, body = await signed_get(b, f"{home}?for={quote(alex_uri, safe='')}")
    assert status == 200 and MARKER_PDF in body


MARKER_PDF = b"LIBRARY-PDF-MARKER-7d1f2c"


def png(text_chunk: bytes = b"") -> bytes:
    """A small PNG, with a tEXt chunk of `text_chunk` (a script, say) when given."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    data = out.getvalue()
    if not text_chunk:
        return data
    body = b"Comment\x00" + text_chunk
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body))
    return data[:33] + chunk + data[33:]  # after the 8-byte signature and the IHDR chunk


async def test_a_png_carrying_a_script_is_reencoded_and_a_picture_form_without_csrf_keeps_nothing(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _, subnet, sam, _ = await carers_pair(start_node, browser)
    script = b"<script>alert('H4S1')</script><html><body onload=alert(1)>"
    status, html = await post_picture(
        sam, subnet, "A red square", png(script), filename="a.html", content_type="text/html"
    )
    assert status == 200, html[:300]
    status, data, headers = await fetch(sam, picture_path(await a.post_uri("A red square")))
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"H4S1" not in data and b"<script" not in data and b"tEXt" not in data
    async with a.db.transaction() as s:
        (kept,) = (await s.execute(select(PostPicture))).scalars().all()
    assert b"H4S1" not in kept.data and b"H4S1" not in kept.thumbnail

    posts_before = await a.count(Post)
    for token_last in (False, True):
        form = aiohttp.FormData()
        form.add_field("subnet", subnet)
        form.add_field("content", "Without a token (marker H4T2)")
        form.add_field("picture_alt", "A red square")
        form.add_field("picture", io.BytesIO(png()), filename="a.png", content_type="image/png")
        if token_last:
            form.add_field("csrf_token", "bm90LWEtdG9rZW4tYXQtYWxs")
        async with sam.http.post(
            f"{sam.base}/subnet/posts?subnet={quote(subnet, safe='')}", data=form
        ) as response:
            assert response.status == 403
    assert await a.count(Post) == posts_before and await a.count(PostPicture) == 1

    # A form with a line longer than the reader takes (a huge preamble): refused, not a 500.
    _, page = await sam.get(f"/subnet?id={quote(subnet, safe='')}")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    boundary = "hostile-boundary-9c2e"
    body = b"y" * 3_000_000 + f"\r\n--{boundary}\r\n".encode()
    body += b'Content-Disposition: form-data; name="csrf_token"\r\n\r\n' + found.group(1).encode()
    body += f"\r\n--{boundary}\r\n".encode()
    body += b'Content-Disposition: form-data; name="content"\r\n\r\nLong line (marker H4L3)'
    body += f"\r\n--{boundary}--\r\n".encode()
    status = await _raw_post(
        sam,
        f"/subnet/posts?subnet={quote(subnet, safe='')}",
        body,
        f"multipart/form-data; boundary={boundary}",
    )
    assert status in (400, 413), status
    assert await a.count(Post) == posts_before


async def _multipart(
    person: Browser, subnet: str, parts: list[tuple[str, bytes, str | None]]
) -> tuple[bytes, str]:
    """A multipart body (and its content type) of `parts` (name, value, filename), in order;
    the person's CSRF token replaces a value of b"TOKEN"."""
    _, html = await person.get(f"/subnet/library/new?id={quote(subnet, safe='')}")
    if "csrf_token" not in html:  # not staff: the token of a page a patient has
        _, html = await person.get("/journal")
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    boundary = "hostile-boundary-7f3a"
    body = b""
    for name, value, filename in parts:
        value = found.group(1).encode() if value == b"TOKEN" else value
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            body += b"Content-Type: application/pdf\r\n"
        body += b"\r\n" + value + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def _raw_post(
    staff: Browser, path: str, body: bytes, content_type: str, length: int | None = None
) -> int:
    """POST over a bare socket, so the Content-Length may lie; the status, or 0 when the node
    closed the connection without answering."""
    base = urlsplit(staff.base)
    cookies = "; ".join(f"{c.key}={c.value}" for c in staff.http.cookie_jar)
    reader, writer = await asyncio.open_connection(base.hostname, base.port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {base.netloc}\r\nCookie: {cookies}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\nConnection: close\r\n\r\n"
    )
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        if length is not None and length > len(body):
            writer.write_eof()
        line = await asyncio.wait_for(reader.readline(), 30)
    except (ConnectionError, TimeoutError):
        return 0
    finally:
        writer.close()
    found = re.match(rb"HTTP/1\.1 (\d{3})", line)
    return int(found.group(1)) if found else 0


async def test_hostile_library_uploads_keep_nothing(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, subnet, dr, sam = await one_trust(start_node, browser)
    attach_path = f"/subnet/library/attach?id={quote(subnet, safe='')}"
    text = [("kind", b"document", None), ("section", b"S", None), ("title", b"Hostile", None)]
    leaflet = ("file", pdf(3000), "leaflet.pdf")
    cases: list[tuple[str, list[tuple[str, bytes, str | None]], set[int]]] = [
        ("no token", [*text, leaflet], {403}),
        ("token after the file", [*text, leaflet, ("csrf_token", b"TOKEN", None)], {403}),
        ("a second file", [("csrf_token", b"TOKEN", None), *text, leaflet, leaflet], {400}),
        (
            "a field too large after the file",
            [("csrf_token", b"TOKEN", None), *text, leaflet, ("body", b"x" * 300_000, None)],
            {400, 413},
        ),
        (
            "the token after the file, and a field after it",
            [*text, leaflet, ("csrf_token", b"TOKEN", None), ("body", b"", None)],
            {403},
        ),
    ]
    for why, parts, expected in cases:
        body, content_type = await _multipart(dr, subnet, parts)
        status = await _raw_post(dr, attach_path, body, content_type)
        assert status in expected, (why, status)
        assert await items(a) == [] and uploads_left(a) == [], why

    # A patient's upload is refused before a byte is read.
    body, content_type = await _multipart(sam, subnet, [("csrf_token", b"TOKEN", None), *text])
    assert await _raw_post(sam, attach_path, body, content_type) == 403

    # Content-Length lies: shorter than the body, and longer (the sender then stops).
    body, content_type = await _multipart(
        dr, subnet, [("csrf_token", b"TOKEN", None), *text, leaflet]
    )
    assert await _raw_post(dr, attach_path, body, content_type, len(body) // 2) in (0, 400)
    assert await _raw_post(dr, attach_path, body[:-500], content_type, len(body)) in (0, 400)
    await eventually(lambda: _settled(a))
    assert await items(a) == []
    # A huge preamble before the first boundary, of many lines and of one long line: skipped
    # as it streams past (never held), or refused; either way no more than the one file kept.
    accepted = 0
    for preamble in (b"x\r\n" * 700_000, b"y" * 3_000_000 + b"\r\n"):
        status = await _raw_post(dr, attach_path, preamble + body, content_type)
        assert status in (303, 400, 413), status
        accepted += status == 303
        assert len(await items(a)) == accepted
    await eventually(lambda: _settled(a))
    for row in await items(a):
        assert (a.directory / "library" / row.id).read_bytes() == leaflet[1]

    # A file name that climbs out of the folder is only a name: the bytes land by item id.
    traversal = ("file", pdf(3000, b"TRAVERSAL-H5T3"), "../../../../x.pdf")
    body, content_type = await _multipart(
        dr, subnet, [("csrf_token", b"TOKEN", None), *text, traversal]
    )
    assert await _raw_post(dr, attach_path, body, content_type) == 303
    kept = await items(a)
    assert len(kept) == accepted + 1
    folder = a.directory / "library"
    on_disk = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert on_disk == sorted(row.id for row in kept)
    assert not list(a.directory.parent.parent.rglob("x.pdf"))

    # A "PDF" that is really HTML is served as a PDF that no browser may sniff.
    html_pdf = b"%PDF-1.4\n<html><script>alert('H5X9')</script></html>\n" + b" " * 200
    assert (await attach(dr, subnet, html_pdf, title="Sneaky"))[0] == 200
    _, page = await sam.get(library_path(subnet))
    item = item_id_for(page, "Sneaky")
    url = f"{sam.base}/subnet/library/file?id={quote(subnet, safe='')}&item={item}"
    async with sam.http.get(url) as response:
        assert response.status == 200 and response.content_type == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "html" not in response.headers.get("Content-Disposition", "")


async def _settled(node: TestNode) -> bool:
    """No upload is still half-read on the node (a refused one leaves no temporary file)."""
    return uploads_left(node) == []


async def test_hostile_ranges_are_answered_not_crashed_on(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _, subnet, sam, alex = await carers_pair(start_node, browser)
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    dr = browser(a)
    await dr.sign_in("dr-ahmed")
    data = pdf(5000)
    assert (await attach(dr, subnet, data))[0] == 200
    _, html = await dr.get(library_path(subnet))
    query = f"/subnet/library/file?id={quote(subnet, safe='')}&item={item_id_for(html, 'Leaflet')}"
    for reader in (sam, alex):  # the file at home, and through the partner from its RAM
        url = reader.base + query
        for ranges, expected in (
            ("bytes=abc", {200, 416}),
            ("bytes=0-1,5-6", {200, 416}),
            ("bytes=999999-", {416}),
            ("bytes=5000-", {416}),
            ("bytes=10-5", {200, 416}),
            ("bytes=-0", {200, 206, 416}),
            ("bytes=--1", {200, 416}),
            ("items=0-10", {200, 416}),
            ("bytes=0-" + "9" * 400, {200, 206, 416}),
            ("bytes=4990-999999", {206}),
        ):
            async with reader.http.get(url, headers={"Range": ranges}) as response:
                got = await response.read()
                assert response.status in expected, (reader.base, ranges, response.status)
                if response.status == 206:
                    first, last = map(
                        int, response.headers["Content-Range"].split()[1].split("/")[0].split("-")
                    )
                    assert got == data[first : last + 1]
                if response.status == 200:
                    assert got == data
                if response.status == 416:
                    assert response.headers["Content-Range"] == f"bytes */{len(data)}"


MARKDOWN_ATTACKS = (
    "[a](javascript:alert('H6A1'))",
    "[b](JaVaScRiPt:alert('H6A2'))",
    "[c](jav&#x61;script:alert('H6A3'))",
    "[d](&#106;avascript:alert('H6A4'))",
    "<javascript:alert('H6A5')>",
    "[e][ref]\n\n[ref]: javascript:alert('H6A6')",
    "[f](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![g](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![h](javascript:alert('H6A7'))",
    "[i](vbscript:msgbox('H6A8'))",
    '<a href="javascript:alert(1)">raw</a> <iframe src="https://evil.example"></iframe>',
    '<svg onload=alert(1)></svg><style>body{display:none}</style><form action="https://x">',
    "[j](https://example.org/\" onmouseover=\"alert('H6A9'))",
    "[k](<javascript:alert(1)>)",
    "```html\n<script>alert('H6B1')</script>\n```",
    "| a | b |\n|---|---|\n| <script>x</script> | [l](javascript:alert(1)) |",
)
MARKDOWN_BOMBS = (
    "*" * 20_000 + "a" + "*" * 20_000,
    "[" * 40_000,
    "[a](" * 10_000,
    ">" * 40_000 + " deep",
    "".join("  " * i + "- x\n" for i in range(200)),
    "**_" * 15_000,
    "![" * 20_000,
    "`" * 45_000,
    "<" * 40_000,
    "*a " * 15_000,
)


async def test_library_markdown_runs_nothing_and_bombs_are_rendered_in_bounded_time(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _, subnet, dr, sam = await one_trust(start_node, browser)
    for n, body in enumerate(MARKDOWN_ATTACKS):
        title = f"Attack {n}"
        assert (await write_page(dr, subnet, title, body + "\n\nend of page"))[0] == 200, body
        _, html = await sam.get(library_path(subnet))
        status, page = await sam.get(
            f"/subnet/library/item?id={quote(subnet, safe='')}&item={item_id_for(html, title)}"
        )
        assert status == 200, body
        content = page.split('class="sharon-library-page">', 1)[1].split("</div>", 1)[0]
        assert not re.search(r"<(script|iframe|svg|style|form|img|object|embed)\b", content), body
        assert not re.search(r"<[^>]*\son\w+\s*=", content), body
        for href in re.findall(r'<a\s[^>]*href="([^"]*)"', content):
            assert re.match(r"(https?:|mailto:|#|/)", href) or ":" not in href, (body, href)
    timeout = aiohttp.ClientTimeout(total=120)  # a bound on a hang, not a measure of speed
    for n, body in enumerate(MARKDOWN_BOMBS):
        title = f"Bomb {n}"
        assert (await write_page(dr, subnet, title, body))[0] == 200, body[:40]
        _, html = await sam.get(library_path(subnet))
        url = f"{sam.base}/subnet/library/item?id={quote(subnet, safe='')}&item="
        async with sam.http.get(url + item_id_for(html, title), timeout=timeout) as response:
            assert response.status == 200, body[:40]
            assert "<script" not in (await response.text()).split("<main", 1)[1]


async def test_learning_spaces_refuse_crafted_invitations_and_member_forms(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Home Trust")
    for username, role in (
        ("dr-lee", "clinician"),
        ("pat", "patient"),
        ("vic", "volunteer"),
        ("pc-jones", "professional"),
    ):
        await a.add_user(username, role, username.title())
    await manage.subnet_create(a.directory, "schools", "Schools")
    await manage.subnet_policy(a.directory, "schools", PolicyChange(kind="learning"))
    await manage.subnet_create(a.directory, "carers", "Carers")
    subnet = f"{a.url}/subnets/schools"
    await manage.subnet_add(a.directory, "schools", "dr-lee")
    await manage.subnet_add(a.directory, "carers", "pat")
    lee, pat = browser(a), browser(a)
    await lee.sign_in("dr-lee")
    await pat.sign_in("pat")

    for role in ("patient", "carer", "volunteer"):
        status, _ = await lee.submit_pairs(
            "/staff/invitations/new",
            "/staff/invitations/new",
            [("role", role), ("subnets", "carers"), ("subnets", "schools")],
        )
        assert status == 400, role
        status, _ = await lee.submit_pairs(
            "/staff/invitations/new",
            "/staff/invitations/new",
            [("role", role), ("subnets", subnet)],
        )
        assert status in (400, 403), role
    assert await a.count(Invitation) == 0

    for username in ("pat", "vic"):
        status, _ = await moderate(lee, subnet, {"action": "add", "username": username})
        assert status == 400, username
    # The patient crafts the members form for themselves.
    status, _ = await pat.submit(
        "/journal", "/moderate", {"subnet": subnet, "action": "add", "username": "pat"}
    )
    assert status in (403, 404)
    assert await a.members_in(subnet) == 1


async def test_a_multipart_form_of_countless_empty_fields_is_refused(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, subnet, dr, sam = await one_trust(start_node, browser)
    parts = [(f"f{n}", b"", None) for n in range(5000)]
    for person, path in (
        (dr, f"/subnet/library/attach?id={quote(subnet, safe='')}"),
        (sam, f"/subnet/posts?subnet={quote(subnet, safe='')}"),
        (sam, "/journal"),
    ):
        body, content_type = await _multipart(
            person, subnet, [("csrf_token", b"TOKEN", None), *parts]
        )
        assert await _raw_post(person, path, body, content_type) == 413, path
    assert await items(a) == [] and await a.count(Post) == 0
    assert await a.count(JournalEntry) == 0
