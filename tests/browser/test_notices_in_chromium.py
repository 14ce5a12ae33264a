"""In real Chromium, without JavaScript: a carer sees the unread count in her header when a
member of a partner trust replies to her post, opens Notices, follows the notice to the subnet
and its house rules; staff change the house rules. Every new page (Notices, house rules and
their form, the welcome page) and the pages this work changed (My subnets, Your data) pass
axe-core's default rules at 360 px and 1280 px."""

from __future__ import annotations

import re
from urllib.parse import quote

from axe_playwright_python.async_playwright import Axe
from conftest import BrowserFactory, StartNode, eventually, peer_all, share, shows, write
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser as Chromium
from playwright.async_api import Page, expect

from node import manage

__all__ = ["chromium"]


async def test_a_partners_reply_reaches_the_author_as_a_notice_in_chromium(
    start_node: StartNode, chromium: Chromium, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Bucks")
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await b.add_user("alex", "carer", "Alex")
    carers = await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await share(a, "carers", b)
    for username in ("sam", "dr-ahmed"):
        await manage.subnet_add(a.directory, "carers", username)
    await manage.subnet_add(b.directory, carers, "alex")
    sam_http, alex_http = browser(a), browser(b)
    await sam_http.sign_in("sam")
    await alex_http.sign_in("alex")
    await write(sam_http, carers, "Has anyone tried the respite week? (marker C1)")
    await eventually(lambda: shows(alex_http, carers, "marker C1"))
    post = await a.post_uri("Has anyone tried the respite week? (marker C1)")
    await write(alex_http, carers, "Yes, it gave us a rest (marker C2)", in_reply_to=post)
    axe = Axe(axe_script=AXE_SCRIPT)

    sam = await (await chromium.new_context(viewport=PHONE, java_script_enabled=False)).new_page()
    await sign_in(sam, a.url, "sam")

    async def counted() -> bool:
        await sam.goto(f"{a.url}/")
        return await sam.get_by_role("link", name="Notices (1 new)").count() > 0

    await eventually(counted)
    await sam.get_by_role("link", name="Notices (1 new)").click()
    notice = sam.get_by_role("link", name="Alex replied to your post in Carers across the Thames")
    await expect(notice).to_be_visible()
    await expect(sam.get_by_text("New", exact=True)).to_be_visible()
    await expect(sam.get_by_role("link", name=re.compile(r"^Notices$"))).to_be_visible()
    await notice.click()
    await expect(sam.get_by_text("marker C2")).to_be_visible()
    await sam.get_by_role("link", name="This subnet's house rules").click()
    await expect(sam.get_by_role("heading", name=re.compile("^House rules"))).to_be_visible()

    staff = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(staff, a.url, "dr-ahmed", second_factor=True)
    await staff.goto(sam.url)
    await staff.get_by_role("link", name="Change the house rules").click()
    await staff.get_by_label("House rules").fill("Be kind.\n\nNo selling (marker C3).")
    await staff.get_by_role("button", name="Save the house rules").click()
    await expect(staff.get_by_text("The house rules are saved.")).to_be_visible()
    await expect(staff.get_by_text("No selling (marker C3).")).to_be_visible()

    checker = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(checker, a.url, "sam")
    await write(alex_http, carers, "Another reply (marker C4)", in_reply_to=post)
    await eventually(lambda: _has_news(checker, a.url))
    await check_both_widths(checker, axe, "notices-my-subnets", url=f"{a.url}/")
    await check_both_widths(checker, axe, "notices", url=f"{a.url}/notices")
    await check_both_widths(checker, axe, "house-rules", url=sam.url)
    await check_both_widths(checker, axe, "welcome", url=f"{a.url}/welcome")
    await check_both_widths(checker, axe, "your-data", url=f"{a.url}/account/data")
    edit = f"{a.url}/subnet/rules/edit?id={quote(carers, safe='')}"
    await check_both_widths(staff, axe, "house-rules-edit", url=edit)


async def _has_news(page: Page, base: str) -> bool:
    await page.goto(f"{base}/")
    return await page.get_by_role("link", name="Notices (1 new)").count() > 0
