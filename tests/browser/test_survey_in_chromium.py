"""In real Chromium, without JavaScript and by keyboard: a carer is offered the survey on My
subnets, answers it, and is thanked; another puts it off. Each page passes axe-core at 360 px
and 1280 px."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, expect

__all__ = ["chromium"]


async def test_a_carer_answers_the_survey_by_keyboard_in_chromium(
    start_node: StartNode, chromium: Browser
) -> None:
    a = await start_node("Berkshire")
    await a.add_user("sam", "carer", "Sam")
    axe = Axe(axe_script=AXE_SCRIPT)
    context = await chromium.new_context(viewport=PHONE, java_script_enabled=False)
    sam = await context.new_page()
    await sign_in(sam, a.url, "sam")
    checking = await chromium.new_context(viewport=PHONE)
    await checking.add_cookies(await context.cookies())
    checker = await checking.new_page()
    await check_both_widths(checker, axe, "survey-offer", url=f"{a.url}/")
    await check_both_widths(checker, axe, "survey", url=f"{a.url}/survey")

    await sam.get_by_role("link", name="Answer the survey").click()
    await sam.get_by_role("radio", name="Quite a lot").first.focus()
    await sam.keyboard.press("Space")
    await sam.get_by_role("button", name="Send answers").focus()
    await sam.keyboard.press("Enter")
    await expect(sam.get_by_role("heading", name="Thank you for your answers")).to_be_visible()
    await sam.get_by_role("link", name="Back to my subnets").click()
    await expect(sam.get_by_role("link", name="Answer the survey")).to_have_count(0)

    await a.add_user("lee", "carer", "Lee")  # the thank-you page, checked where axe can run
    lee = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(lee, a.url, "lee")
    await lee.goto(f"{a.url}/survey")
    await lee.get_by_role("button", name="Not now").click()
    await expect(
        lee.get_by_role("heading", name="We will not ask again for a while")
    ).to_be_visible()
    await check_both_widths(lee, axe, "survey-done")
