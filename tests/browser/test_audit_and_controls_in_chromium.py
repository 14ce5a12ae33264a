"""In real Chromium, without JavaScript: a carer mutes a word and folds a post away, opens it
again, and takes a break; a clinician follows a post's author to their record and reads the
response times; an admin finds the audit export. Every new page passes axe-core at 360 px and
1280 px, with no sideways scrolling on the phone."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from conftest import Browser as HttpBrowser
from conftest import BrowserFactory, StartNode, subnet_path, write
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, Page, expect

from actors.retention import PolicyChange
from node import manage

__all__ = ["chromium"]


async def _checker(chromium: Browser, base: str, username: str, staff: bool = False) -> Page:
    page = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(page, base, username, second_factor=staff)
    return page


async def test_member_controls_staff_links_and_audit_pages_in_chromium(
    start_node: StartNode, chromium: Browser, browser: BrowserFactory
) -> None:
    node = await start_node("Berkshire Healthcare")
    await node.add_user("admin", "admin", "Admin")
    await node.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await node.add_user("sam", "carer", "Skylark")
    await node.add_user("river", "patient", "River")
    carers = await manage.subnet_create(node.directory, "carers", "Carers across the Thames Valley")
    await manage.subnet_policy(node.directory, "carers", PolicyChange(premoderation=False))
    for username in ("dr-ahmed", "sam", "river"):
        await manage.subnet_add(node.directory, "carers", username)
    river: HttpBrowser = browser(node)
    await river.sign_in("river")
    await write(river, carers, "The weigh-in at clinic was hard today")
    clinician_http: HttpBrowser = browser(node)
    await clinician_http.sign_in("dr-ahmed")
    await write(clinician_http, carers, "A reminder: the drop-in is on Thursday")
    axe = Axe(axe_script=AXE_SCRIPT)

    context = await chromium.new_context(viewport=PHONE, java_script_enabled=False)
    sam = await context.new_page()
    await sign_in(sam, node.url, "sam")
    await sam.goto(f"{node.url}/account")
    await sam.get_by_role("link", name="Mute people or words, or take a break").click()
    await sam.get_by_label("Word or phrase to mute").fill("weigh-in")
    await sam.get_by_role("button", name="Mute this word").click()
    await expect(sam.get_by_text("No muted words")).to_have_count(0)
    await sam.goto(f"{node.url}{subnet_path(carers)}")
    folded = sam.get_by_text("hidden: a word you muted")
    await expect(folded).to_be_visible()
    await expect(sam.get_by_text("The weigh-in at clinic")).to_be_hidden()
    await folded.click()  # <details> opens without JavaScript
    await expect(sam.get_by_text("The weigh-in at clinic")).to_be_visible()
    await expect(sam.get_by_text("Clinician", exact=True)).to_be_visible()
    checker = await _checker(chromium, node.url, "sam")
    await check_both_widths(checker, axe, "muted-subnet", url=f"{node.url}{subnet_path(carers)}")
    await check_both_widths(checker, axe, "controls", url=f"{node.url}/account/controls")

    await sam.goto(f"{node.url}/account/controls")
    await sam.get_by_label("Carers across the Thames Valley").check()
    await sam.get_by_label("1 week").check()
    await sam.get_by_role("button", name="Take a break").click()
    await expect(sam.get_by_role("button", name="Come back now")).to_be_visible()
    await check_both_widths(checker, axe, "controls-on-break", url=f"{node.url}/account/controls")
    await check_both_widths(checker, axe, "home-on-break", url=f"{node.url}/")
    await sam.goto(f"{node.url}/")
    await expect(sam.get_by_text("1 subnet is hidden here")).to_be_visible()
    await sam.get_by_role("button", name="Come back now").click()
    await expect(sam.get_by_role("link", name="Carers across the Thames Valley")).to_be_visible()

    clinician = await (
        await chromium.new_context(viewport=PHONE, java_script_enabled=False)
    ).new_page()
    await sign_in(clinician, node.url, "dr-ahmed", second_factor=True)
    await clinician.goto(f"{node.url}{subnet_path(carers)}")
    await clinician.get_by_role("link", name="open their record").click()
    await expect(clinician.get_by_role("heading", name="River")).to_be_visible()
    staff_checker = await _checker(chromium, node.url, "dr-ahmed", staff=True)
    await check_both_widths(staff_checker, axe, "person-from-post", url=clinician.url)
    await check_both_widths(
        staff_checker, axe, "staff-subnet", url=f"{node.url}{subnet_path(carers)}"
    )
    await check_both_widths(
        staff_checker, axe, "response-times", url=f"{node.url}/moderation/times"
    )

    admin_checker = await _checker(chromium, node.url, "admin", staff=True)
    await check_both_widths(admin_checker, axe, "admin-audit", url=f"{node.url}/admin")
    await expect(admin_checker.get_by_role("button", name="Download as CSV")).to_be_visible()
