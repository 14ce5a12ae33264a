"""Web forms: CSRF protection, sign-in errors, security headers, sign-out."""

from __future__ import annotations

import re

import aiohttp
from conftest import PASSWORD, Browser, BrowserFactory, StartNode, TestNode, subnet_path

from node import manage
from storage.models import Post


async def _signed_in_member(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, str, Browser]:
    """A node with a subnet, and its member sam signed in to it."""
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    return a, subnet, sam


async def test_post_form_without_csrf_token_is_403_and_writes_nothing(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, subnet, sam = await _signed_in_member(start_node, browser)
    data = {"subnet": subnet, "content": "no token here"}
    async with sam.http.post(f"{a.url}/subnet/posts", data=data) as response:
        status, text = response.status, await response.text()
    assert status == 403 and "did not come from this site" in text
    async with sam.http.post(
        f"{a.url}/subnet/posts", data={**data, "csrf_token": "forged"}
    ) as response:
        assert response.status == 403
    assert await a.count(Post) == 0


async def test_sign_in_without_csrf_cookie_is_refused(start_node: StartNode) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{a.url}/sign-in", data={"username": "sam", "password": "x", "csrf_token": "guess"}
        ) as response,
    ):
        assert response.status == 403


async def test_wrong_password_shows_an_error_summary(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    status, html = await browser(a).submit(
        "/sign-in", "/sign-in", {"username": "sam", "password": "not-the-password"}
    )
    assert status == 400
    assert "There is a problem" in html and "The username or password is not right" in html


async def test_pages_carry_strict_security_headers_and_crisis_help(start_node: StartNode) -> None:
    a = await start_node("Berkshire Healthcare")
    async with aiohttp.ClientSession() as http, http.get(f"{a.url}/sign-in") as response:
        html = await response.text()
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "Need help now?" in html and "116 123" in html
    assert re.search(r"/nhsuk/nhsuk-frontend\.min\.[0-9a-f]{12}\.css", html)  # fingerprinted
    cookie = headers.getall("Set-Cookie")[0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


async def test_signing_out_ends_the_session(start_node: StartNode, browser: BrowserFactory) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    sam = browser(a)
    await sam.sign_in("sam")
    status, html = await sam.submit("/sign-out", "/sign-out", {})
    assert status == 200 and "Sign in" in html
    status, html = await sam.get("/")
    assert "Use the username and password" in html


async def test_nhs_frontend_assets_are_served_by_the_node(start_node: StartNode) -> None:
    a = await start_node("Berkshire Healthcare")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{a.url}/nhsuk/nhsuk-frontend.min.css") as response:
            assert response.status == 200 and ".nhsuk-header" in await response.text()
        async with http.get(f"{a.url}/nhsuk/nhsuk-frontend.min.js") as response:
            assert response.status == 200


async def test_empty_post_shows_an_error_and_keeps_the_page(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, subnet, sam = await _signed_in_member(start_node, browser)
    page = f"/subnet?id={subnet}"
    status, html = await sam.submit(page, "/subnet/posts", {"subnet": subnet, "content": "  "})
    assert status == 400
    assert "There is a problem" in html and "Write something before posting." in html
    assert await a.count(Post) == 0


async def test_repeated_wrong_passwords_lock_the_account_with_a_clear_message(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    guesser = browser(a)
    for _ in range(5):
        await guesser.submit("/sign-in", "/sign-in", {"username": "sam", "password": "nope-nope-1"})
    status, html = await browser(a).submit(
        "/sign-in", "/sign-in", {"username": "sam", "password": PASSWORD}
    )
    assert status == 429
    assert "Too many attempts that did not work" in html and "My subnets" not in html


async def test_pages_come_compressed_with_a_fresh_csrf_mask_each_time(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """Compressed pages must not repeat a secret byte for byte (BREACH): the CSRF token is
    masked afresh on every page, and any of those masks is accepted."""
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    tokens = []
    for _ in range(2):
        async with sam.http.get(a.url + subnet_path(subnet)) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', await response.text()))
    first, second = (found.group(1) for found in tokens if found)
    assert first != second
    for token in (first, second):
        async with sam.http.post(
            a.url + "/subnet/posts",
            data={"csrf_token": token, "subnet": subnet, "content": f"Hello {token[:4]}"},
        ) as response:
            assert response.status == 200
