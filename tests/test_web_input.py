"""Bad input on the web pages (issue 9, item 10): a clear 400 saying what was wrong, never a
500 and never a silent repair, and nothing stored — on SQLite and PostgreSQL alike.

* what a post's text may hold (`actors/text.py`), at every entry point that takes text;
* forms and addresses that are not UTF-8 text (raw bytes, %FF, NUL, other charsets, files,
  compression), `/sign-in` (reachable without an account) included;
* the `next` address after signing in names only paths on this node.
"""

from __future__ import annotations

import gzip
import html as html_lib
import re
import unicodedata
from urllib.parse import quote, unquote, urljoin, urlsplit

import aiohttp
import pytest
from conftest import PASSWORD, Browser, BrowserFactory, StartNode, TestNode, subnet_path

from node import manage
from storage.models import Invitation, Post


@pytest.fixture
async def member(start_node: StartNode, browser: BrowserFactory) -> tuple[TestNode, str, Browser]:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    return a, subnet, sam


async def _post_text(sam: Browser, subnet: str, text: str) -> tuple[int, str]:
    return await sam.submit(
        subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": text}
    )


REFUSED_TEXT = {
    "ESC sequence": ("Hello \x1b[31mred\x1b[0m", "hidden control character (U+001B"),
    "bell": ("ring\x07", "hidden control character (U+0007"),
    "C1 control": ("next\x85line", "hidden control character (U+0085"),
    "DEL": ("a\x7fb", "hidden control character (U+007F"),
    "right-to-left override": ("invoice\u202etxt.exe", "reverses the direction"),
    "left-to-right embedding": ("a\u202ab", "reverses the direction"),
    "isolate": ("a\u2066b\u2069", "reverses the direction"),
    "noncharacter FDD0": ("a\ufdd0", "noncharacter"),
    "noncharacter FFFF": ("a\uffff", "noncharacter"),
    "noncharacter of plane 1": ("a\U0001fffe", "noncharacter"),
}
EMPTY_TEXT = {
    "zero-width spaces": "\u200b\u200b\u200b",
    "word joiners and BOM": "\u2060\ufeff\u2060",
    "invisible and spaces": " \u200c \u200d \u3164 \u00a0 ",
    "soft hyphens": "\u00ad\u00ad",
}


async def test_a_post_holds_only_text_and_the_author_is_told_why(
    member: tuple[TestNode, str, Browser],
) -> None:
    a, subnet, sam = member
    for name, (text, reason) in REFUSED_TEXT.items():
        status, html = await _post_text(sam, subnet, text)
        assert status == 400 and reason in html and "Remove it and try again" in html, name
    for name, text in EMPTY_TEXT.items():
        status, html = await _post_text(sam, subnet, text)
        assert status == 400 and "Write something before posting" in html, name
    assert await a.count(Post) == 0


async def test_text_is_normalised_not_otherwise_changed(
    member: tuple[TestNode, str, Browser],
) -> None:
    a, subnet, sam = member
    kept = {
        "decomposed": ("Cafe\u0301 meet-up", "Caf\u00e9 meet-up"),
        "windows line breaks": ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        "tab": ("a\tb", "a\tb"),
        "family emoji (zero-width joiners)": ("\U0001f469\u200d\U0001f467 ok", None),
        "right-to-left script": ("\u05e9\u05dc\u05d5\u05dd", None),
    }
    for name, (sent, stored) in kept.items():
        status, html = await _post_text(sam, subnet, sent)
        assert status == 200, (name, html[:300])
        assert await a.post_uri(stored or sent), name
        assert unicodedata.is_normalized("NFC", stored or sent)


async def test_an_edit_follows_the_same_rules(member: tuple[TestNode, str, Browser]) -> None:
    a, subnet, sam = member
    await _post_text(sam, subnet, "Original words (marker ED1)")
    post = await a.post_uri("Original words (marker ED1)")
    for text in ("sneaky\u202eedit", "\u200b\u200b", "bad\x00nul"):
        status, html = await sam.submit(
            subnet_path(subnet), "/posts/edit", {"subnet": subnet, "object": post, "content": text}
        )
        assert status == 400, (text, html[:300])
    assert await a.post_uri("Original words (marker ED1)") == post


async def test_names_follow_the_same_rules(
    member: tuple[TestNode, str, Browser], browser: BrowserFactory
) -> None:
    a, subnet, sam = member
    for pseudonym, reason in (
        ("Sam\u202eevil", "reverses the direction"),
        ("\u200b\u200b\u200b", "2 to 40 characters"),
        ("Sam\x1b[2J", "hidden control character"),
        ("Sam\nSmith", "a line break or tab"),
    ):
        status, html = await sam.submit(
            "/account", "/account/profile", {"pseudonym": pseudonym, "avatar": ""}
        )
        assert status == 400 and reason in html, (pseudonym, html[:500])
        status, html = await sam.submit(
            subnet_path(subnet), "/subnet/pseudonym", {"subnet": subnet, "pseudonym": pseudonym}
        )
        assert status == 400 and reason in html, (pseudonym, html[:500])
    assert "Sam\u202e" not in await a.all_rows_text()
    await a.add_user("dr-ahmed", "clinician")
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    clinician = browser(a)
    await clinician.sign_in("dr-ahmed")
    fields = [("role", "patient"), ("real_name", "Ann\u202eX"), ("subnets", "carers")]
    status, html = await clinician.submit_pairs(
        "/staff/invitations/new", "/staff/invitations/new", fields
    )
    assert status == 400 and "reverses the direction" in html
    assert await a.count(Invitation) == 0
    with pytest.raises(Exception, match="hidden control character"):
        await manage.subnet_create(a.directory, "other", "Name\x1b[0m")


async def _token(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as response:
        html = await response.text()
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _multipart(fields: list[tuple[str, bytes, dict[str, str]]]) -> tuple[bytes, str]:
    boundary = "sharonboundary7MA4YWxkTrZu0gW"
    chunks = []
    for name, value, extra in fields:
        disposition = f'form-data; name="{name}"'
        if "filename" in extra:
            disposition += f'; filename="{extra.pop("filename")}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        chunks.append(head.encode() + b"\r\n" + value + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _bad_bodies(token: str, fields: dict[str, bytes]) -> dict[str, tuple[bytes, dict[str, str]]]:
    """The same form, made unreadable in each way a hostile client might."""
    form = "application/x-www-form-urlencoded"
    encoded = (
        b"&".join(quote(k).encode() + b"=" + quote(v).encode() for k, v in fields.items())
        + b"&csrf_token="
        + token.encode()
    )

    def raw(bad: bytes) -> bytes:
        return encoded.replace(b"MARK", bad, 1)

    def parts(bad: bytes, **extra: str) -> tuple[bytes, str]:
        items = [("csrf_token", token.encode(), {})] + [
            (k, v.replace(b"MARK", bad), dict(extra) if b"MARK" in v else {})
            for k, v in fields.items()
        ]
        return _multipart(items)

    cases = {
        "raw 0xff": (raw(b"\xff"), {"Content-Type": form}),
        "percent-encoded 0xff": (raw(b"%FF"), {"Content-Type": form}),
        "overlong UTF-8": (raw(b"%C0%AF"), {"Content-Type": form}),
        "encoded surrogate": (raw(b"%ED%A0%80"), {"Content-Type": form}),
        "NUL": (raw(b"%00"), {"Content-Type": form}),
        "unknown charset": (raw(b"x"), {"Content-Type": f"{form}; charset=x-nonsense"}),
        "latin-1 charset": (raw(b"x"), {"Content-Type": f"{form}; charset=iso-8859-1"}),
        "gzip": (gzip.compress(raw(b"x")), {"Content-Type": form, "Content-Encoding": "gzip"}),
        "gzip header on a plain body": (
            raw(b"x"),
            {"Content-Type": form, "Content-Encoding": "gzip"},
        ),
    }
    for name, (body, content_type) in {
        "multipart 0xff": parts(b"\xff"),
        "multipart NUL": parts(b"\x00"),
        "multipart text sent as a file": parts(b"x", filename="post.txt"),
        "multipart utf-16 part": parts(b"x", **{"Content-Type": "text/plain; charset=utf-16"}),
        "multipart base64 part": parts(b"x", **{"Content-Transfer-Encoding": "base64"}),
    }.items():
        cases[name] = (body, {"Content-Type": content_type})
    return cases


async def test_forms_that_are_not_utf8_text_are_400_and_store_nothing(
    member: tuple[TestNode, str, Browser],
) -> None:
    a, subnet, sam = member
    token = await _token(sam.http, a.url + subnet_path(subnet))
    fields = {"subnet": subnet.encode(), "content": b"hello MARK there"}
    for name, (body, headers) in _bad_bodies(token, fields).items():
        async with sam.http.post(f"{a.url}/subnet/posts", data=body, headers=headers) as response:
            text = await response.text()
            assert response.status == 400, (name, response.status, text[:300])
            assert "try again" in text, (name, text[:300])
    async with sam.http.post(
        f"{a.url}/subnet/posts", data=b"content=x", headers={"Content-Type": "text/plain"}
    ) as response:
        assert response.status == 415
    assert await a.count(Post) == 0
    assert "\ufffd" not in await a.all_rows_text()
    # the same form, sent well, is taken (so the refusals above are about the bytes alone)
    good = f"subnet={quote(subnet)}&content=hello&csrf_token={token}".encode()
    async with sam.http.post(
        f"{a.url}/subnet/posts",
        data=good,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    ) as response:
        assert response.status == 200
    assert await a.count(Post) == 1


async def test_sign_in_reachable_without_an_account_refuses_unreadable_forms(
    start_node: StartNode,
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        token = await _token(http, f"{a.url}/sign-in")
        fields = {"username": b"samMARK", "password": PASSWORD.encode()}
        for name, (body, headers) in _bad_bodies(token, fields).items():
            async with http.post(f"{a.url}/sign-in", data=body, headers=headers) as response:
                assert response.status == 400, (name, response.status)


async def test_addresses_that_are_not_text_are_400(member: tuple[TestNode, str, Browser]) -> None:
    a, _subnet, sam = member
    for path in ("/subnet?id=%FF", "/subnet?id=%00", "/sign-in?next=%C0%AF", "/subnet%FF"):
        async with sam.http.get(a.url + path) as response:
            assert response.status == 400, (path, response.status)


NEXT_VALUES = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "\t//evil.example/",
    " //evil.example/",
    "/ /evil.example/",
    "http:/evil.example/",
    "javascript:alert(1)",
    "///evil.example/",
    "/%09/evil.example",
    "evil.example",
]


def _lands_on(base: str, location: str) -> str:
    """Where a browser goes for a Location: tabs and newlines dropped, \\ taken as /."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return urlsplit(urljoin(base + "/", cleaned)).netloc


@pytest.mark.parametrize("next_value", NEXT_VALUES)
async def test_after_sign_in_only_paths_on_this_node_are_followed(
    start_node: StartNode, next_value: str
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    host = urlsplit(a.url).netloc
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{a.url}/sign-in", params={"next": next_value}) as response:
            html = await response.text()
        shown = re.search(r'name="next" value="([^"]*)"', html)
        assert shown and _lands_on(a.url, html_lib.unescape(shown.group(1))) == host
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": token, "username": "sam", "password": PASSWORD, "next": next_value}
        async with http.post(f"{a.url}/sign-in", data=form, allow_redirects=False) as response:
            assert response.status == 303
            location = response.headers["Location"]
    assert _lands_on(a.url, location) == host, (next_value, location)
    assert location == "/" or next_value == location


async def test_a_path_on_this_node_is_still_followed(start_node: StartNode) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        token = await _token(http, f"{a.url}/sign-in")
        target = "/subnet?id=http%3A%2F%2F127.0.0.1%2Fsubnets%2Fcarers#posts"
        form = {"csrf_token": token, "username": "sam", "password": PASSWORD, "next": target}
        async with http.post(f"{a.url}/sign-in", data=form, allow_redirects=False) as response:
            assert response.status == 303
            assert unquote(response.headers["Location"]) == unquote(target)
