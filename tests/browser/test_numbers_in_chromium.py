"""In real Chromium at a phone's width: in an eating-disorders subnet whose numbers are masked,
a patient on one trust writes a weight; members on both trusts see "show number" in its place
and open it by keyboard, without JavaScript. The pages pass axe-core's default rules."""

from __future__ import annotations

import time

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode, eventually, peer_all, share
from in_chromium import AXE_SCRIPT, PHONE, check_page, chromium, sign_in
from playwright.async_api import Browser, expect

from node import manage
from storage.models import RemoteActor

__all__ = ["chromium"]
NAME = "Eating disorders peer support"


async def test_a_weight_shows_masked_on_both_trusts(
    start_node: StartNode, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    await peer_all(a, b)
    await a.add_user("sam", "patient", "Sam")
    await b.add_user("alex", "patient", "Alex")
    await b.add_user("jo", "patient", "Jo")
    await a.add_user("admin", "admin", "Admin")
    subnet = await manage.subnet_create(a.directory, "eating-disorders", NAME)
    await share(a, "eating-disorders", b)
    await manage.subnet_add(a.directory, "eating-disorders", "sam")
    for username in ("alex", "jo"):
        await manage.subnet_add(b.directory, subnet, username)
    axe = Axe(axe_script=AXE_SCRIPT)

    # The host's admin masks numbers in the subnet on the admin page; the partner hears of it.
    admin = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(admin, a.url, "admin", second_factor=True)
    await admin.goto(f"{a.url}/admin")
    await admin.get_by_label("Numbers about weight, food and exercise").select_option("masked")
    await check_page(admin, axe, "admin-numbers")
    await admin.get_by_role("button", name="Save policy").click()
    await expect(admin.get_by_label("Numbers about weight, food and exercise")).to_have_value(
        "masked"
    )

    async def ready() -> bool:
        async with b.db.transaction() as s:
            group = await s.get(RemoteActor, subnet)
        return group is not None and group.numbers == "masked" and await a.members_in(subnet) == 3

    await eventually(ready)

    # The author is told before writing, and sees their own words in full afterwards.
    alex = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(alex, b.url, "alex")
    await alex.get_by_role("link", name=NAME).click()
    await expect(alex.get_by_text("A note about numbers")).to_be_visible()
    await check_page(alex, axe, "subnet-numbers-note")
    text = "Weighed 52kg this morning and my clinic is on 3rd May at 10:30 (marker W8K2)"
    await alex.get_by_label("Write a post").fill(text)
    await alex.get_by_role("button", name="Post", exact=True).click()
    await expect(alex.locator(".sharon-post", has_text=text)).to_be_visible()
    posted = time.monotonic()

    for node, username, name in ((a, "sam", "sam-host"), (b, "jo", "jo-partner")):
        page = await (await chromium.new_context(viewport=PHONE)).new_page()
        await sign_in(page, node.url, username)
        await page.get_by_role("link", name=NAME).click()
        post = page.locator(".sharon-post", has_text="marker W8K2")
        while not await post.is_visible():
            assert time.monotonic() - posted < 10.0, "the post did not arrive within 10 s"
            await page.wait_for_timeout(100)
            await page.reload()
        await expect(post).to_contain_text("clinic is on 3rd May at 10:30")
        value = post.locator(".sharon-number__value")
        await expect(value).to_be_hidden()
        control = post.get_by_text("show number")
        await expect(control).to_be_visible()
        await check_page(page, axe, f"subnet-numbers-masked-{name}")
        await control.focus()
        await page.keyboard.press("Enter")
        await expect(value).to_have_text("52kg")
        await expect(value).to_be_visible()
        await check_page(page, axe, f"subnet-numbers-shown-{name}")
