"""In real Chromium: a carer on the partner trust searches her subnets, across both trusts,
from My subnets and from the subnet page, without JavaScript; when the host trust stops, the
page names it as not answering. Each page passes axe-core at 360 px and 1280 px."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from conftest import Browser as HttpBrowser
from conftest import BrowserFactory, StartNode, eventually, peer_all, share, shows, write
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, expect

from node import manage

__all__ = ["chromium"]


async def test_search_across_two_trusts_in_chromium(
    start_node: StartNode, chromium: Browser, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Bucks")
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    await b.add_user("alex", "carer", "Alex")
    carers = await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, carers, "alex")
    await eventually(lambda: _members(a, carers))
    sam: HttpBrowser = browser(a)
    await sam.sign_in("sam")
    await write(sam, carers, "Respite week helped; <b>sleeping</b> better now")
    axe = Axe(axe_script=AXE_SCRIPT)

    context = await chromium.new_context(viewport=PHONE, java_script_enabled=False)
    alex = await context.new_page()
    await sign_in(alex, b.url, "alex")
    checker = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(checker, b.url, "alex")
    await alex.get_by_role("link", name="Carers across the Thames Valley").click()
    await alex.get_by_label("Write a post").fill(
        "Not sleeping well this week, the baby is teething"
    )
    await alex.get_by_role("button", name="Post", exact=True).click()
    await eventually(lambda: shows(sam, carers, "Not sleeping well"))
    await alex.get_by_role("link", name="Edit your post from").click()  # its own page
    await expect(alex.get_by_label("Your post")).to_have_value(
        "Not sleeping well this week, the baby is teething"
    )
    await check_both_widths(checker, axe, "edit-post", url=alex.url)

    await alex.goto(f"{b.url}/")
    await alex.get_by_label("Search my subnets").fill("sleep")
    await alex.get_by_role("button", name="Search").click()
    await expect(alex.get_by_role("heading", name="2 posts found")).to_be_visible()
    marks = alex.locator("mark")
    await expect(marks).to_have_text(["sleeping", "sleeping"])
    results = alex.locator(".sharon-results")
    await expect(results).to_contain_text("<b>sleeping</b> better")  # shown as text…
    await expect(results.locator("b")).to_have_count(0)  # …never as markup
    await check_both_widths(checker, axe, "search-results", url=alex.url)

    await alex.get_by_role("link", name="Carers across the Thames Valley").first.click()
    await alex.get_by_label("Search this subnet").fill("respite")
    await alex.get_by_role("button", name="Search").click()
    await expect(alex.get_by_role("heading", name="1 post found")).to_be_visible()
    await expect(alex.get_by_text("Sam in Carers across the Thames Valley")).to_be_visible()

    await a.runner.cleanup()  # the host trust stops answering
    await alex.reload()
    await expect(
        alex.get_by_text("Berkshire Healthcare did not answer; try again.")
    ).to_be_visible()
    await check_both_widths(checker, axe, "search-unanswered", url=alex.url)


async def _members(node, subnet: str) -> bool:  # type: ignore[no-untyped-def]
    return await node.members_in(subnet) == 2
