"""In real Chromium, without JavaScript: a patient writes a journal entry with a mood and tags,
shares it with her clinicians, and sees her mood chart; a clinician of her trust opens her
record and reads the shared entry (the private one is not there). Every page of it (the
journal, its edit page, the support page, the staff person page) passes axe-core's default
rules at 360 px and 1280 px, without sideways scrolling."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser as Chromium
from playwright.async_api import Page, expect

__all__ = ["chromium"]
SHARED = "Talked to my sister about the weekend and felt lighter (marker JB1)"
PRIVATE = "Not ready to tell anyone about this yet (marker JB2)"


async def _checked(chromium: Chromium, page: Page, axe: Axe, name: str) -> None:
    """axe-core needs script, which the pages under test run without: the same page, signed
    in as the same person, is checked in a second context that allows it."""
    state = await page.context.storage_state()
    context = await chromium.new_context(viewport=PHONE, storage_state=state)
    try:
        checker = await context.new_page()
        await checker.goto(page.url)
        await check_both_widths(checker, axe, name)
    finally:
        await context.close()


async def test_a_journal_entry_shared_with_a_clinician_in_chromium(
    start_node: StartNode, chromium: Chromium
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("pat", "patient", "Pat")
    await a.add_user("dr-lee", "clinician", "Dr Lee")
    axe = Axe(axe_script=AXE_SCRIPT)

    pat = await (await chromium.new_context(viewport=PHONE, java_script_enabled=False)).new_page()
    await sign_in(pat, a.url, "pat")
    await pat.get_by_role("link", name="Open your journal").click()
    await expect(pat.get_by_role("heading", name="Your journal", exact=True)).to_be_visible()
    await _checked(chromium, pat, axe, "journal-empty")

    await pat.get_by_label("What is on your mind?").fill(PRIVATE)
    await pat.get_by_label("2: Low").check()
    await pat.get_by_role("button", name="Save entry").click()
    await expect(pat.get_by_text("Saved in your journal: only you can read it")).to_be_visible()

    await pat.get_by_label("What is on your mind?").fill(SHARED)
    await pat.get_by_label("4: Good").check()
    await pat.get_by_label("Tags (optional)").fill("family, weekend")
    await pat.get_by_label("Share this entry with my clinicians at Berkshire Healthcare").check()
    await pat.get_by_role("button", name="Save entry").click()
    await expect(pat.get_by_text("Saved and shared with your clinicians")).to_be_visible()
    chart = pat.get_by_role("img", name="Your mood over time")
    await expect(chart).to_be_visible()
    await expect(pat.get_by_role("cell", name="4: Good")).to_be_visible()
    await expect(pat.get_by_text("Shared with your clinicians", exact=True)).to_be_visible()
    await _checked(chromium, pat, axe, "journal")

    await pat.get_by_role("link", name="family").click()
    await expect(pat.get_by_role("heading", name="Your entries tagged “family”")).to_be_visible()
    await expect(pat.get_by_text("marker JB2")).to_have_count(0)
    await pat.get_by_role("link", name="Edit the entry of").first.click()
    await expect(pat.get_by_role("heading", name="Edit your entry")).to_be_visible()
    await _checked(chromium, pat, axe, "journal-edit")

    await pat.goto(f"{a.url}/journal")
    await pat.get_by_label("What is on your mind?").fill("I want to end it tonight (marker JB3)")
    await pat.get_by_role("button", name="Save entry").click()
    await expect(pat.get_by_role("heading", name="Support is here if you need it")).to_be_visible()
    await expect(pat.get_by_text("only you can see it")).to_be_visible()
    await _checked(chromium, pat, axe, "journal-support")

    lee = await (await chromium.new_context(viewport=PHONE, java_script_enabled=False)).new_page()
    await sign_in(lee, a.url, "dr-lee", second_factor=True)
    await lee.get_by_role("link", name="People").first.click()
    await lee.get_by_role("link", name="Pat").click()
    await expect(lee.get_by_role("heading", name="Journal entries shared with you")).to_be_visible()
    await expect(lee.get_by_text("marker JB1")).to_be_visible()
    await expect(lee.get_by_text("marker JB2")).to_have_count(0)
    await expect(lee.get_by_text("marker JB3")).to_have_count(0)
    await _checked(chromium, lee, axe, "journal-staff-person")
