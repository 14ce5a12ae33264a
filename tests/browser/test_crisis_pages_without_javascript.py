"""Issue 10: the author sees crisis support "on the page after posting, without JavaScript",
and the alert pages are for staff on phones too. In real Chromium with JavaScript turned off
at 360 px: posting crisis text leads to the support page, whose tel:/sms: links are at least
44×44 px; a clinician acknowledges the alert and adds a note by plain forms; no page is wider
than the screen."""

from __future__ import annotations

from conftest import StartNode, eventually, peer_all, share
from in_chromium import PHONE, chromium
from playwright.async_api import Browser, Page, expect
from test_crisis_alerts import _join_done
from test_crisis_in_chromium import _sign_in, _write

from actors.clock import utcnow
from node import manage

__all__ = ["chromium"]
CRISIS = "I can't do this anymore, I want to end it tonight (marker NJ1)"


async def _fits(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


async def test_support_and_alert_pages_work_without_javascript_at_360_px(
    start_node: StartNode, chromium: Browser
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Home Trust")
    await peer_all(a, b)
    await b.add_user("pat", "patient", "Pat")
    await b.add_user("nurse-kim", "clinician", "Nurse Kim")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(b.directory, subnet, "pat")
    await eventually(lambda: _join_done(a, 1), within=10)

    async def page_for(username: str) -> Page:
        context = await chromium.new_context(viewport=PHONE, java_script_enabled=False)
        page = await context.new_page()
        await _sign_in(page, b.url, username, utcnow())
        return page

    pat = await page_for("pat")
    await _write(pat, b.url, subnet, CRISIS)
    await expect(pat.get_by_role("heading", name="Support is here if you need it")).to_be_visible()
    links = await pat.locator("a.sharon-helpline").all()
    assert links
    for link in links:
        box = await link.bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, box
    await _fits(pat)
    await pat.get_by_role("link", name="Back to your subnet").first.click()
    await expect(pat.get_by_text("Only you and our team can see this post for now")).to_be_visible()
    await _fits(pat)

    kim = await page_for("nurse-kim")
    await kim.goto(f"{b.url}/staff/alerts")
    await _fits(kim)
    await kim.get_by_role("link", name="Urgent: Pat").first.click()
    await expect(kim.locator("body")).to_contain_text("NJ1")
    await _fits(kim)
    await kim.get_by_role("button", name="Acknowledge: I am looking at this").click()
    await kim.get_by_label("Add a note").fill("Phoned Pat, safe for now")
    await kim.get_by_role("button", name="Add note").click()
    await expect(kim.locator("body")).to_contain_text("Phoned Pat, safe for now")
    await _fits(kim)
