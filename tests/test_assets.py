"""Page weight: static files are linked by fingerprinted names, cached for a year as immutable
and sent gzip-compressed; other names are revalidated; pages themselves stay `no-store`."""

from __future__ import annotations

import gzip
import re

import aiohttp
import brotli
from conftest import BrowserFactory, StartNode

from webui.assets import IMMUTABLE


async def test_pages_link_fingerprinted_assets_served_compressed_and_immutable(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    sam = browser(a)
    await sam.sign_in("sam")
    _, html = await sam.get("/")
    linked = re.findall(r'(?:href|src)="(/(?:nhsuk|static)/[^"]+\.[0-9a-f]{12}\.[a-z]+)"', html)
    linked += re.findall(r'"(/nhsuk/nhsuk-frontend\.min\.[0-9a-f]{12}\.js)"', html)  # import map
    assert {path.rsplit(".", 2)[0] for path in linked} >= {
        "/nhsuk/nhsuk-frontend.min",
        "/static/sharon",
        "/static/init",
    }
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        async with http.get(a.url + "/", allow_redirects=False) as response:
            assert response.headers["Cache-Control"] == "no-store"
        for path in linked:
            async with http.get(a.url + path, headers={"Accept-Encoding": "gzip"}) as response:
                body = await response.read()
                assert response.status == 200, path
                assert response.headers["Cache-Control"] == IMMUTABLE
                assert response.headers["Vary"] == "Accept-Encoding"
                if path.endswith(".css") and "nhsuk" in path:
                    assert response.headers["Content-Encoding"] == "gzip"
                    plain = gzip.decompress(body)
                    assert b".nhsuk-header" in plain and len(body) < len(plain) / 4
        css = next(p for p in linked if p.startswith("/nhsuk/") and p.endswith(".css"))
        async with http.get(a.url + css, headers={"Accept-Encoding": "identity"}) as response:
            assert "Content-Encoding" not in response.headers
            assert b".nhsuk-header" in await response.read()
        stale = re.sub(r"\.[0-9a-f]{12}\.", ".000000000000.", css)
        async with http.get(a.url + stale) as response:
            assert response.status == 404  # a name never means other content

        async with http.get(a.url + "/nhsuk/assets/images/favicon.svg") as response:
            assert (
                response.status == 200 and response.headers["Cache-Control"] == "public, no-cache"
            )
            etag = response.headers["ETag"]
        async with http.get(
            a.url + "/nhsuk/assets/images/favicon.svg", headers={"If-None-Match": etag}
        ) as response:
            assert response.status == 304 and await response.read() == b""
        for escape in ("/static/..%2F..%2Fnode%2Fapp.py", "/static/../webui/assets.py"):
            async with http.get(a.url + escape) as response:
                assert response.status == 404, escape


async def test_the_nhs_stylesheet_names_only_files_this_node_serves(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """Its icons resolve here (not at the site root) and it loads no font from another site,
    which the Content-Security-Policy would refuse."""
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    sam = browser(a)
    await sam.sign_in("sam")
    _, html = await sam.get("/")
    (css,) = re.findall(r'href="(/nhsuk/nhsuk-frontend\.min\.[0-9a-f]{12}\.css)"', html)
    async with aiohttp.ClientSession() as http:
        async with http.get(a.url + css) as response:
            text = await response.text()
        assert "assets.nhs.uk" not in text and "@font-face" not in text
        named = set(re.findall(r"url\(['\"]?(/[^)'\"]+)", text))
        assert named and all(path.startswith("/nhsuk/assets/") for path in named), named
        for path in named:
            async with http.get(a.url + path) as response:
                assert response.status == 200, path


async def test_browsers_that_take_brotli_get_it(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    sam = browser(a)
    await sam.sign_in("sam")
    _, html = await sam.get("/")
    (css,) = re.findall(r'href="(/nhsuk/nhsuk-frontend\.min\.[0-9a-f]{12}\.css)"', html)
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        async with http.get(a.url + css, headers={"Accept-Encoding": "gzip, br"}) as response:
            assert response.headers["Content-Encoding"] == "br"
            squeezed = brotli.decompress(await response.read())
        async with http.get(a.url + css, headers={"Accept-Encoding": "br;q=0, gzip"}) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(await response.read()) == squeezed
