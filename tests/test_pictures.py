"""Pictures in posts, over real HTTP between real nodes: a photo posted with a planted GPS
position and camera details is seen at home and at a partner with none of it left in any byte
served; its bytes exist only at its author's home; the Note carries it as an `Image`; people
and nodes not allowed to see the post get 404; bad files are refused with a clear message and
nothing kept; deleting the post, retention and erasing the account take the picture too."""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import quote

import aiohttp
from conftest import (
    PASSWORD,
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    act,
    carers_pair,
    eventually,
    host_and_partner,
    moderate_path,
    signed_get,
    subnet_path,
)
from PIL import ExifTags, Image, ImageDraw
from sqlalchemy import select

from actors.clock import utcnow
from actors.retention import PolicyChange
from node import manage
from node.app import HOUSEKEEPER
from storage.models import Base, Post, PostPicture

PLANTED = [b"PLANTED-MAKE-7Q", b"PLANTED-MODEL-7Q", b"PLANTED-XMP-7Q", b"PLANTED-NOTE-7Q"]
ALT = "A lighthouse on a cliff at sunset"


def photo_with_secrets(width: int = 2400, height: int = 1800) -> bytes:
    """A JPEG as a phone makes it: EXIF with the camera and a GPS position, XMP, a comment."""
    image = Image.new("RGB", (width, height), (30, 90, 160))
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 40):
        draw.line([(i, 0), (width - i, height)], fill=(250, (i * 7) % 255, 40), width=9)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = PLANTED[0].decode()
    exif[ExifTags.Base.Model] = PLANTED[1].decode()
    exif[ExifTags.Base.ImageDescription] = PLANTED[3].decode()
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 27.0, 12.75)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 58.0, 3.25)
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description note="PLANTED-XMP-7Q"/></x:xmpmeta>'
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=xmp, comment=PLANTED[3], quality=90)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the planting worked
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert all(secret in data for secret in PLANTED)
    return data


def png_bomb() -> bytes:
    """A valid PNG of 10,000 × 10,000 one-bit pixels (more than Pillow's MAX_IMAGE_PIXELS)
    that is a few kilobytes on the wire."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    side = 10_000
    row = b"\x00" * (1 + side // 8)
    packer = zlib.compressobj(9)
    compressed = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", compressed)
        + chunk(b"IEND", b"")
    )


async def post_picture(
    person: Browser,
    subnet: str,
    text: str,
    data: bytes | None,
    *,
    alt: str = ALT,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    in_reply_to: str = "",
) -> tuple[int, str]:
    """Post through the subnet page's multipart form, as a browser sends it."""
    _, html = await person.get(subnet_path(subnet))
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    form = aiohttp.FormData()
    form.add_field("csrf_token", token.group(1))
    form.add_field("subnet", subnet)
    form.add_field("content", text)
    form.add_field("in_reply_to", in_reply_to)
    form.add_field("picture_alt", alt)
    if data is not None:
        form.add_field("picture", io.BytesIO(data), filename=filename, content_type=content_type)
    async with person.http.post(
        f"{person.base}/subnet/posts?subnet={quote(subnet, safe='')}", data=form
    ) as response:
        return response.status, await response.text()


async def fetch(person: Browser, path: str) -> tuple[int, bytes, dict[str, str]]:
    async with person.http.get(person.base + path, allow_redirects=False) as response:
        return response.status, await response.read(), dict(response.headers)


def picture_path(post_uri: str, thumbnail: bool = False) -> str:
    return f"/pictures?post={quote(post_uri, safe='')}" + ("&size=thumbnail" if thumbnail else "")


def assert_clean(data: bytes, media_type: str = "image/jpeg") -> None:
    """No planted secret in any byte, and nothing of metadata left for a reader to find."""
    assert not any(secret in data for secret in PLANTED)
    assert b"Exif\x00\x00" not in data and b"http://ns.adobe.com/xap" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert Image.MIME[image.format or ""] == media_type
        assert len(image.getexif()) == 0
        assert not {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"} & set(image.info)


def every_file_under(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()]


async def holds(node: TestNode, pieces: list[bytes]) -> bool:
    """Whether any file of the node's data directory (SQLite files, free pages and write-ahead
    log included) or any value in any row of its database (PostgreSQL too) holds a piece."""
    if any(
        piece in path.read_bytes() for path in every_file_under(node.directory) for piece in pieces
    ):
        return True
    async with node.db.transaction() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(select(table))).all():
                for value in row:
                    found = value if isinstance(value, bytes) else str(value).encode()
                    if any(piece in found for piece in pieces):
                        return True
    return False


def samples(data: bytes) -> list[bytes]:
    """Distinctive runs of a picture's bytes (past its headers), for scanning files."""
    return [data[i : i + 48] for i in (len(data) // 3, len(data) // 2, len(data) - 100)]


async def test_a_picture_is_seen_at_home_and_at_a_partner_without_its_metadata(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await carers_pair(start_node, browser)
    original = photo_with_secrets()
    status, html = await post_picture(sam, subnet, "The view from our walk today", original)
    assert status == 200, html[:400]
    post_uri = await a.post_uri("The view from our walk today")
    assert f'alt="{ALT}"' in html

    # At home: the thumbnail and the full picture, resized, served privately, metadata gone.
    status, full, headers = await fetch(sam, picture_path(post_uri))
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert headers["Cache-Control"].startswith("private")
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, thumbnail, _ = await fetch(sam, picture_path(post_uri, thumbnail=True))
    assert status == 200
    for data, edge in ((full, 1600), (thumbnail, 320)):
        assert_clean(data)
        with Image.open(io.BytesIO(data)) as image:
            assert max(image.size) == edge and image.size[0] > image.size[1]

    # The Note carries it as an Image: alt text, type, size; both URLs on the home node.
    status, body = await signed_get(
        b, f"{post_uri}?for={quote(await alex_uri(b, subnet), safe='')}"
    )
    assert status == 200
    (image,) = json.loads(body)["attachment"]
    assert image["type"] == "Image" and image["name"] == ALT
    assert image["mediaType"] == "image/jpeg" and (image["width"], image["height"]) == (1600, 1200)
    assert image["url"] == f"{post_uri}/picture"
    assert image["preview"]["href"] == f"{post_uri}/picture/thumbnail"

    # At the partner: shown from its own address, fetched live from home, the same clean bytes.
    async def partner_shows() -> bool:
        status, page = await alex.get(subnet_path(subnet))
        return status == 200 and f'alt="{ALT}"' in page

    await eventually(partner_shows)
    status, partner_thumbnail, headers = await fetch(alex, picture_path(post_uri, thumbnail=True))
    assert status == 200 and partner_thumbnail == thumbnail
    assert headers["Content-Type"] == "image/jpeg" and headers["Cache-Control"].startswith(
        "private"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, partner_full, _ = await fetch(alex, picture_path(post_uri))
    assert status == 200 and partner_full == full
    assert_clean(partner_full)

    # The picture's bytes exist only at the author's home: not in any file the partner holds.
    assert await a.count(PostPicture) == 1 and await b.count(PostPicture) == 0
    assert await holds(a, samples(full)) and await holds(a, samples(thumbnail))
    assert not await holds(b, samples(full) + samples(thumbnail) + samples(original))
    assert not await holds(a, samples(original))  # the upload itself is never kept

    # Nobody else sees it: a person here outside the subnet, a node asking for a non-member.
    await a.add_user("kit", "carer", "Kit")
    kit = browser(a)
    await kit.sign_in("kit")
    for path in (picture_path(post_uri), picture_path(post_uri, thumbnail=True)):
        status, data, _ = await fetch(kit, path)
        assert status == 404 and data != full
    status, _ = await signed_get(b, f"{post_uri}/picture")  # for nobody: the node itself
    assert status == 404
    status, _ = await signed_get(b, f"{post_uri}/picture?for={quote(f'{b.url}/members/x')}")
    assert status == 404
    status, _, _ = await fetch(browser(a), picture_path(post_uri))  # not signed in
    assert status == 303

    # A peer that is not a partner of the subnet is refused, and holds nothing of it.
    d = await start_node("Not A Partner")
    await manage.peer_add(a.directory, d.url)
    await manage.peer_add(d.directory, a.url)
    status, _ = await signed_get(d, f"{post_uri}/picture/thumbnail")
    assert status == 404 and not await holds(d, samples(full) + samples(thumbnail))

    # Deleted with its post: at home the row goes — and its bytes from the database files once
    # housekeeping has checkpointed them — and the partner can no longer show it.
    assert await act(sam, subnet, "/posts/delete", {"object": post_uri}) == 200
    assert await a.count(PostPicture) == 0
    await a.runner.app[HOUSEKEEPER].run_once(utcnow())
    assert not await holds(a, samples(full) + samples(thumbnail))

    async def partner_refused() -> bool:
        status, _, _ = await fetch(alex, picture_path(post_uri, thumbnail=True))
        return status == 404

    await eventually(partner_refused)


async def alex_uri(b: TestNode, subnet: str) -> str:
    return await b.member_uri("alex", subnet)


async def test_a_reply_may_carry_a_picture_and_a_partner_sees_it(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await carers_pair(start_node, browser)
    status, _ = await post_picture(sam, subnet, "Anyone been to the coast?", None)
    assert status == 200
    first = await a.post_uri("Anyone been to the coast?")
    await eventually(lambda: _shows(alex, subnet, "Anyone been to the coast?"))
    png = io.BytesIO()
    Image.new("RGBA", (500, 400), (0, 160, 90, 128)).save(png, "PNG")
    status, html = await post_picture(
        alex,
        subnet,
        "Yes, here is ours",
        png.getvalue(),
        alt="A green square, half see-through",
        filename="coast.png",
        content_type="image/png",
        in_reply_to=first,
    )
    assert status == 200, html[:400]
    reply = await b.post_uri("Yes, here is ours")
    await eventually(lambda: _shows(sam, subnet, "A green square, half see-through"))
    status, data, headers = await fetch(sam, picture_path(reply))
    assert status == 200 and headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (500, 400) and image.mode == "RGBA"
    assert await a.count(PostPicture) == 0 and await b.count(PostPicture) == 1


async def _shows(person: Browser, subnet: str, text: str) -> bool:
    status, html = await person.get(subnet_path(subnet))
    return status == 200 and text in html


async def test_bad_files_are_refused_with_a_clear_message_and_nothing_kept(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust", picture_max_bytes=512 * 1024)
    await a.add_user("sam", "carer", "Sam")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    small = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 100, 50)).save(small, "JPEG", quality=95)
    jpeg = small.getvalue()
    noise = io.BytesIO()
    Image.effect_noise((700, 700), 90).convert("RGB").save(noise, "PNG")
    assert len(noise.getvalue()) > 512 * 1024
    cases = [
        (png_bomb(), "bomb.png", "image/png", ALT, 400, "too many pixels"),
        (b"#!/bin/sh\nrm -rf ~\n" * 20, "holiday.jpg", "image/jpeg", ALT, 400, "JPEG, PNG or WebP"),
        (b"<script>alert(1)</script>", "cat.jpg", "image/jpeg", ALT, 400, "JPEG, PNG or WebP"),
        (jpeg[: len(jpeg) // 2], "cut.jpg", "image/jpeg", ALT, 400, "damaged or incomplete"),
        (noise.getvalue(), "big.png", "image/png", ALT, 413, "smaller than 0.5 MB"),
        (b"\xff" * 1_600_000, "huge.jpg", "image/jpeg", ALT, 413, "smaller than 0.5 MB"),
        (jpeg, "fine.jpg", "image/jpeg", "  ", 400, "people who use screen readers"),
    ]
    for data, filename, content_type, alt, expected, message in cases:
        posts, pictures = await a.count(Post), await a.count(PostPicture)
        files = len(every_file_under(a.directory))
        status, html = await post_picture(
            sam,
            subnet,
            f"Trying {filename}",
            data,
            alt=alt,
            filename=filename,
            content_type=content_type,
        )
        assert status == expected, (filename, status, html[:300])
        assert "There is a problem" in html and message in html, (filename, html[:2000])
        assert await a.count(Post) == posts and await a.count(PostPicture) == pictures
        assert len(every_file_under(a.directory)) <= files
        assert f"Trying {filename}".encode() not in b"".join(p.read_bytes() for p in a.sqlite_files)
    status, html = await post_picture(sam, subnet, "Now a good one", jpeg)
    assert status == 200 and await a.count(PostPicture) == 1


async def test_retention_and_erasing_the_account_take_the_pictures(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, alex = await carers_pair(start_node, browser)
    for text in ("Picture one", "Picture two"):
        assert (await post_picture(sam, subnet, text, photo_with_secrets(640, 480)))[0] == 200
    assert await a.count(PostPicture) == 2
    one = await a.post_uri("Picture one")

    async def partner_sees(expected: int) -> bool:
        status, _, _ = await fetch(alex, picture_path(one, thumbnail=True))
        return status == expected

    await eventually(lambda: partner_sees(200))
    status, body, _ = await fetch(sam, "/account/data.json")  # "Your data" names them
    described = [post["picture"] for post in json.loads(body)["posts"]]
    assert status == 200 and [p["description"] for p in described] == [ALT, ALT]
    status, _ = await sam.submit(
        "/account/erase", "/account/erase", {"confirm": "yes", "password": PASSWORD}
    )
    assert status == 200
    assert await a.count(PostPicture) == 0 and await a.count(Post) == 0
    await eventually(lambda: partner_sees(404))

    await a.add_user("jo", "carer", "Jo")
    await manage.subnet_add(a.directory, "carers", "jo")
    jo = browser(a)
    await jo.sign_in("jo")
    assert (await post_picture(jo, subnet, "Old picture", photo_with_secrets(640, 480)))[0] == 200
    async with a.db.transaction() as s:
        row = (await s.scalars(select(Post).where(Post.content == "Old picture"))).one()
        row.published = row.published.replace(year=row.published.year - 3)
    await manage.subnet_policy(a.directory, "carers", PolicyChange(retention_days=30))
    assert await manage.retention_run(a.directory) >= 1
    assert await a.count(PostPicture) == 0


async def test_a_moderator_sees_the_picture_of_a_post_waiting_for_approval(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser, premoderation=True)
    await manage.subnet_add(b.directory, subnet, "alex")

    async def alex_is_in() -> bool:
        return await a.members_in(subnet) == 4

    await eventually(alex_is_in)
    small = io.BytesIO()
    Image.new("RGB", (640, 480), (20, 120, 200)).save(small, "JPEG")
    for who, text, alt in (
        ("sam", "Held here with a picture", "A blue rectangle from home"),
        ("alex", "Held from a partner with a picture", "A blue rectangle from a partner"),
    ):
        status, _ = await post_picture(people[who], subnet, text, small.getvalue(), alt=alt)
        assert status == 200
    mine = await a.post_uri("Held here with a picture")
    theirs = await b.post_uri("Held from a partner with a picture")

    async def waiting_with_both() -> bool:
        status, html = await people["dr-ahmed"].get(moderate_path(subnet))
        return (
            status == 200
            and "A blue rectangle from home" in html
            and ("A blue rectangle from a partner" in html)
        )

    await eventually(waiting_with_both)
    for uri in (mine, theirs):
        status, _, headers = await fetch(people["dr-ahmed"], picture_path(uri, thumbnail=True))
        assert status == 200 and headers["Content-Type"] == "image/jpeg", uri
        status, _, _ = await fetch(people["nurse-kim"], picture_path(uri, thumbnail=True))
        assert status == 404  # a member elsewhere, not a moderator: not while it waits
    status, _, _ = await fetch(people["sam"], picture_path(mine))  # its author sees it
    assert status == 200
