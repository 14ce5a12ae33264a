"""Issue 10, names: a patient chooses a pseudonym that worries us on the account page, in real
Chromium. They see crisis support at once; their clinician sees the name on the alert and
applies it. The pages pass axe-core at 360 px and 1280 px."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium
from playwright.async_api import Browser, Page, expect
from test_crisis_in_chromium import _sign_in

from actors.clock import utcnow

__all__ = ["chromium"]
NAME = "cant see a way out"


async def test_a_crisis_pseudonym_shows_support_and_waits_for_a_clinician(
    start_node: StartNode, chromium: Browser
) -> None:
    node = await start_node("Home Trust")
    await node.add_user("pat", "patient", "Pat")
    await node.add_user("nurse-kim", "clinician", "Nurse Kim")
    axe = Axe(axe_script=AXE_SCRIPT)

    async def page_for(username: str) -> Page:
        context = await chromium.new_context(viewport=PHONE)
        page = await context.new_page()
        await _sign_in(page, node.url, username, utcnow())
        return page

    pat = await page_for("pat")
    await pat.goto(f"{node.url}/account")
    await pat.get_by_label("Pseudonym").fill(NAME)
    await pat.get_by_role("button", name="Save profile").click()
    await expect(pat.get_by_role("heading", name="Support is here if you need it")).to_be_visible()
    await expect(pat.locator("#post-status")).to_contain_text("others still see your usual name")
    await check_both_widths(pat, axe, "crisis-name-01-support")

    kim = await page_for("nurse-kim")
    await kim.goto(f"{node.url}/staff/alerts")
    await (
        kim.get_by_role("link", name="Concern: Pat")
        .or_(kim.get_by_role("link", name="Urgent: Pat"))
        .first.click()
    )
    await expect(kim.locator("body")).to_contain_text(NAME)
    await check_both_widths(kim, axe, "crisis-name-02-alert")
    await kim.get_by_role("button", name="Use the name they chose").click()
    await expect(kim.locator("body")).to_contain_text("Applied")
