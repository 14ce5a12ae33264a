"""In real Chromium: a carer on one trust posts in a shared subnet and a carer on the partner
trust reads it within two seconds; every page visited passes axe-core's default rules."""

from __future__ import annotations

import time

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode, peer_all, share
from in_chromium import AXE_SCRIPT, check_page, chromium, sign_in
from playwright.async_api import Browser, expect

from node import manage

__all__ = ["chromium"]


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
    await check_page(sam, axe, "sign-in")
    await sign_in(sam, a.url, "sam")
    await check_page(sam, axe, "home")
    await sam.get_by_role("link", name="Carers across the Thames Valley").click()
    await expect(sam.get_by_text("Shared with: Oxford Health")).to_be_visible()
    await check_page(sam, axe, "subnet-empty")
    await sam.get_by_role("button", name="Post", exact=True).click()
    await expect(sam.get_by_role("heading", name="There is a problem")).to_be_visible()
    await check_page(sam, axe, "subnet-error")
    text = "Looking after Mum is easier since the respite week (marker C3P0)"
    await sam.get_by_label("Write a post").fill(text)
    await sam.get_by_role("button", name="Post", exact=True).click()
    await expect(sam.locator(".sharon-post", has_text=text)).to_be_visible()
    posted = time.monotonic()

    alex = await (await chromium.new_context()).new_page()
    await sign_in(alex, b.url, "alex")
    await alex.get_by_role("link", name="Carers across the Thames Valley").click()
    while not await alex.get_by_text(text).is_visible():
        assert time.monotonic() - posted < 2.0, "the post did not reach the partner within 2 s"
        await alex.wait_for_timeout(100)
        await alex.reload()
    await expect(alex.get_by_text("Berkshire Healthcare").first).to_be_visible()
    await check_page(alex, axe, "subnet-partner")
    await alex.goto(f"{b.url}/help")
    await check_page(alex, axe, "help")

    for path in b.sqlite_files:
        assert text.encode() not in path.read_bytes()
    assert text not in await b.all_rows_text()
