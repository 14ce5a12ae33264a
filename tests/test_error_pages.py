"""Every error a browser meets is an NHS.UK page with the crisis banner, a way back and the
right status; machines (JSON, signed requests) keep their own answers."""

from __future__ import annotations

import io

import aiohttp
from conftest import BrowserFactory, StartNode, TestNode, subnet_path

from actors.screening import Screening
from federation.inbox import MAX_BODY
from node import manage

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def assert_error_page(status: int, html: str, heading: str) -> None:
    assert 'class="nhsuk-header' in html, html[:300]
    assert "Need help now?" in html and 'href="/help"' in html  # the crisis banner
    assert f'<h1 class="nhsuk-heading-l">{heading}' in html
    assert 'href="/"' in html or 'href="/sign-in"' in html  # a way back
    assert status >= 400


async def test_error_statuses_render_the_nhs_page_with_a_way_back(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    sam = browser(a)
    await sam.sign_in("sam")
    http = sam.http

    async with http.get(a.url + "/no-such-page", headers=HTML) as response:
        assert response.status == 404
        assert_error_page(404, await response.text(), "Page not found")
        assert response.headers["Cache-Control"] == "no-store"
        assert "Content-Security-Policy" in response.headers

    status, html = await sam.get(subnet_path(f"{a.url}/subnets/nope"))
    assert status == 404
    assert_error_page(status, html, "Page not found")
    assert "There is no such subnet, or you are not a member of it." in html

    async with http.get(a.url + "/subnet?id=%ff", headers=HTML) as response:
        assert response.status == 400
        html = await response.text()
        assert_error_page(400, html, "We could not read what was sent")
        assert "holds characters that are not text" in html

    async with http.get(a.url + "/staff/people", headers=HTML) as response:
        assert response.status == 403
        assert_error_page(403, await response.text(), "You cannot see or do this")

    async with http.put(a.url + "/", headers=HTML) as response:
        assert response.status == 405
        assert "GET" in response.headers["Allow"]
        assert_error_page(405, await response.text(), "This page cannot be used like that")

    async with http.post(
        a.url + "/subnet/posts", data={"csrf_token": "forged", "content": "hello"}, headers=HTML
    ) as response:
        assert response.status == 403
        html = await response.text()
        assert_error_page(403, html, "This form has expired")
        assert "reload the page" in html

    async with http.post(
        a.url + "/subnet/posts",
        data=io.BytesIO(b"csrf_token=x&content=" + b"x" * (MAX_BODY + 10)),
        headers={**HTML, "Content-Type": "application/x-www-form-urlencoded"},
    ) as response:
        assert response.status == 413
        assert_error_page(413, await response.text(), "What you sent is too large")

    async with aiohttp.ClientSession() as stranger:
        async with stranger.get(a.url + "/posts/nope", headers=HTML) as response:
            assert response.status == 401
            html = await response.text()
            assert_error_page(401, html, "You need to sign in")
            assert 'href="/sign-in"' in html


async def test_too_many_sign_in_tries_answer_429_on_the_sign_in_page(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    sam = browser(a)
    status = 0
    for _ in range(30):
        status, html = await sam.submit(
            "/sign-in", "/sign-in", {"username": "sam", "password": "not the password"}
        )
        if status == 429:
            break
    assert status == 429
    assert "Need help now?" in html and "nhsuk-error-summary" in html


class BrokenScreener:
    def screen(self, text: str) -> Screening:
        raise RuntimeError("the screener broke")


async def test_an_unexpected_failure_is_a_500_page_that_says_nothing_was_shared(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare", screener=BrokenScreener())
    await a.add_user("sam", "carer")
    subnet = await a_subnet(a, "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    status, html = await sam.submit(
        subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": "Hello all"}
    )
    assert status == 500
    assert_error_page(status, html, "Sorry, there is a problem with the service")
    assert "the screener broke" not in html and "Traceback" not in html


async def a_subnet(node: TestNode, username: str) -> str:
    uri = await manage.subnet_create(node.directory, "carers", "Carers")
    await manage.subnet_add(node.directory, "carers", username)
    return uri


async def test_machines_keep_json_and_plain_errors(start_node: StartNode) -> None:
    a = await start_node("Berkshire Healthcare")
    async with aiohttp.ClientSession() as http:
        async with http.get(
            a.url + "/.well-known/webfinger?resource=nobody",
            headers={"Accept": "application/jrd+json"},
        ) as response:
            assert response.status == 400
            assert response.content_type == "application/json"
        async with http.get(
            a.url + "/no-such-thing", headers={"Accept": "application/activity+json"}
        ) as response:
            assert response.status == 404
            assert "nhsuk-header" not in await response.text()
        async with http.post(
            a.url + "/inbox",
            data=b"{}",
            headers={"Content-Type": "application/activity+json", "Signature": 'keyId="x"'},
        ) as response:
            assert response.status in (400, 401)
            assert "nhsuk-header" not in await response.text()
