"""In real Chromium: a carer on one trust posts in a shared subnet and a carer on the partner
trust reads it within two seconds; every page visited passes axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from conftest import PASSWORD, StartNode, peer_all, share
from playwright.async_api import Browser, Page, async_playwright, expect

from node import manage

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_INSTALLED = CHROMIUM.exists()
ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM_INSTALLED:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs it with apt-get install -y chromium")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        await browser.close()


async def _check(page: Page, axe: Axe, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTEFACTS / f"{name}.png", full_page=True)
    results = await axe.run(page, options=WCAG)
    violations = results.response["violations"]
    assert violations == [], [(v["id"], v["help"], len(v["nodes"])) for v in violations]


async def _sign_in(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/sign-in")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="My subnets")).to_be_visible()


async def test_post_written_in_chromium_is_readable_on_the_partner_trust(
    start_node: StartNode, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    await b.add_user("alex", "carer", "Alex")
    carers = await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, carers, "alex")
    axe = Axe(axe_script=AXE_SCRIPT)

    sam = await (await chromium.new_context(viewport={"width": 360, "height": 740})).new_page()
    await sam.goto(f"{a.url}/sign-in")
    await _check(sam, axe, "sign-in")
    await _sign_in(sam, a.url, "sam")
    await _check(sam, axe, "home")
    await sam.get_by_role("link", name="Carers across the Thames Valley").click()
    await expect(sam.get_by_text("Shared with: Oxford Health")).to_be_visible()
    await _check(sam, axe, "subnet-empty")
    await sam.get_by_role("button", name="Post").click()
    await expect(sam.get_by_role("heading", name="There is a problem")).to_be_visible()
    await _check(sam, axe, "subnet-error")
    text = "Looking after Mum is easier since the respite week (marker C3P0)"
    await sam.get_by_label("Write a post").fill(text)
    await sam.get_by_role("button", name="Post").click()
    await expect(sam.locator("p.sharon-post", has_text=text)).to_be_visible()
    posted = time.monotonic()

    alex = await (await chromium.new_context()).new_page()
    await _sign_in(alex, b.url, "alex")
    await alex.get_by_role("link", name="Carers across the Thames Valley").click()
    while not await alex.get_by_text(text).is_visible():
        assert time.monotonic() - posted < 2.0, "the post did not reach the partner within 2 s"
        await alex.wait_for_timeout(100)
        await alex.reload()
    await expect(alex.get_by_text("Berkshire Healthcare").first).to_be_visible()
    await _check(alex, axe, "subnet-partner")
    await alex.goto(f"{b.url}/help")
    await _check(alex, axe, "help")

    for path in b.sqlite_files:
        assert text.encode() not in path.read_bytes()
    assert text not in await b.all_rows_text()
