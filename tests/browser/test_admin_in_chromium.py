"""In real Chromium, the admin's new pages — decline a share invitation (asked first), create
a subnet, add a peer (its fingerprint to confirm), remove one, a partner-hosted subnet this trust
takes part in, and stopping taking part — are walked through, and each passes axe-core's
default rules with no sideways scrolling at 360 and 1280 px."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode, eventually, peer_all, share
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, expect

from federation.keys import NodeKeys
from node import manage

__all__ = ["chromium"]


async def test_admin_pages_in_chromium_pass_axe_at_phone_and_desktop_widths(
    start_node: StartNode, chromium: Browser
) -> None:
    a, b, c = (
        await start_node("Host Trust"),
        await start_node("Partner Trust"),
        await start_node("Third Trust"),
    )
    await peer_all(a, b)
    await b.add_user("admin", "admin")
    await manage.subnet_create(a.directory, "carers", "Carers across the valley")
    await share(a, "carers", b)
    await manage.subnet_create(a.directory, "eating", "Eating disorders support")
    await manage.subnet_share(a.directory, "eating", b.url)
    await eventually(lambda: _offered(b))
    axe = Axe(axe_script=AXE_SCRIPT)
    page = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(page, b.url, "admin", second_factor=True)

    await page.goto(f"{b.url}/admin")
    await expect(page.get_by_text("Posts held for a moderator").first).to_be_visible()
    await check_both_widths(page, axe, "admin-overview")
    await page.get_by_role(
        "link", name="Decline the invitation to Eating disorders support"
    ).click()
    await check_both_widths(page, axe, "admin-decline-invitation")
    await page.get_by_role("button", name="Decline invitation").click()
    await expect(page.get_by_text("Invitation declined")).to_be_visible()
    await expect(page.get_by_text("Eating disorders support, hosted by")).to_have_count(0)

    await page.get_by_role("link", name="Create a subnet").click()
    await check_both_widths(page, axe, "admin-subnet-new")
    await page.get_by_role("button", name="Create subnet").click()
    await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    await check_both_widths(page, axe, "admin-subnet-new-errors")
    await page.get_by_label("Name", exact=True).fill("Parents of teenagers")
    await page.get_by_label("Short name for its address").fill("parents")
    await page.get_by_label("Hold posts until a moderator approves them").check()
    await page.get_by_role("button", name="Create subnet").click()
    await expect(page.get_by_text("Subnet created")).to_be_visible()

    await page.get_by_role("link", name="Add a peer").first.click()
    await check_both_widths(page, axe, "admin-peer-new")
    await page.get_by_label("The node's address").fill(c.url)
    await page.get_by_role("button", name="Look it up").click()
    await expect(page.get_by_text(NodeKeys.load(c.directory).fingerprint)).to_be_visible()
    await check_both_widths(page, axe, "admin-peer-fingerprint")
    await page.get_by_role("button", name="The fingerprint matches: agree to peer").click()
    await expect(page.get_by_text("Peer added")).to_be_visible()

    await page.get_by_role("link", name="Remove Third Trust as a peer").click()
    await expect(
        page.get_by_role("heading", name="Stop federating with Third Trust?")
    ).to_be_visible()
    await check_both_widths(page, axe, "admin-peer-remove")
    await page.get_by_role("button", name="Remove peer").click()
    await expect(page.get_by_text("Peer removed")).to_be_visible()

    await page.get_by_role("link", name="Carers across the valley").click()
    await expect(page.get_by_text("Hosted by Host Trust")).to_be_visible()
    await check_both_widths(page, axe, "admin-taking-part")
    await page.get_by_role("link", name="Stop taking part in Carers across the valley").click()
    await check_both_widths(page, axe, "admin-stop-taking-part")
    await page.get_by_role("button", name="Stop taking part").click()
    await expect(page.get_by_text("no longer takes part in that subnet")).to_be_visible()


async def _offered(node: object) -> bool:
    return bool(await manage.share_list(node.directory))  # type: ignore[attr-defined]
