"""Everyday pages in Chromium, at 360 px and 1280 px: older posts, each confirmation and its
success banner, the error pages, the crisis banner's targets; axe-core's default rules clean."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from conftest import BrowserFactory, StartNode, write
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, expect

from node import manage

__all__ = ["chromium"]


async def test_older_posts_and_the_like_toggle_in_chromium(
    start_node: StartNode, browser: BrowserFactory, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer", "Sam")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    writer = browser(a)
    await writer.sign_in("sam")
    for i in range(53):
        await write(writer, subnet, f"Walked the dog again today, number {i:02d} (post {i:02d})")
    axe = Axe(axe_script=AXE_SCRIPT)
    context = await chromium.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, a.url, "sam")

    # The newest 50, a heading each; older ones one link away (a link: no JavaScript needed).
    await page.goto(f"{a.url}/subnet?id={subnet}")
    await expect(page.get_by_role("heading", level=3)).to_have_count(50)
    await expect(page.get_by_text("(post 52)")).to_be_visible()
    await expect(page.get_by_text("(post 02)")).to_have_count(0)
    for link in await page.locator(".sharon-crisis a").all():
        box = await link.bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, box
    await expect(page.locator('.sharon-crisis a[href^="sms:"]')).to_have_count(1)
    await check_both_widths(page, axe, "pages-02-subnet")
    await page.get_by_role("link", name="Older posts").click()
    await page.wait_for_url("**older_than=*")
    await expect(page.get_by_text("(post 02)")).to_be_visible()
    await expect(page.get_by_text("(post 00)")).to_be_visible()
    await expect(page.get_by_text("(post 03)")).to_have_count(0)
    await expect(page.get_by_role("link", name="Older posts")).to_have_count(0)

    # One Like toggle per post, named with its post, showing its state.
    await page.goto(f"{a.url}/subnet?id={subnet}")
    like = page.get_by_role("button", name="Like the post by Sam").first
    await expect(like).to_have_attribute("aria-pressed", "false")
    await like.click()
    await expect(page.get_by_role("button", name="Like the post by Sam").first).to_have_attribute(
        "aria-pressed", "true"
    )

    await context.close()


async def test_confirmations_and_error_pages_in_chromium(
    start_node: StartNode, browser: BrowserFactory, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer", "Sam")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    writer = browser(a)
    await writer.sign_in("sam")
    for i in (51, 52):
        await write(writer, subnet, f"Walked the dog again today, number {i:02d} (post {i:02d})")
    axe = Axe(axe_script=AXE_SCRIPT)
    context = await chromium.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, a.url, "sam")
    await check_both_widths(page, axe, "pages-01-home")
    await page.goto(f"{a.url}/subnet?id={subnet}")
    await check_both_widths(page, axe, "pages-03-subnet")

    # Deleting a post: asked first, then said.
    await page.goto(f"{a.url}/subnet?id={subnet}")
    await page.get_by_role("link", name="Delete your post").first.click()
    await expect(page.get_by_role("heading", name="Delete your post?")).to_be_visible()
    await expect(page.get_by_text("(post 52)")).to_be_visible()
    await check_both_widths(page, axe, "pages-04-confirm-delete")
    await page.get_by_role("button", name="Delete post").click()
    await expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "Post deleted"
    )
    await expect(page.get_by_text("(post 52)")).to_have_count(0)
    await check_both_widths(page, axe, "pages-05-post-deleted")

    # Errors: the NHS.UK page, the crisis banner, a way back.
    await page.goto(f"{a.url}/no-such-page")
    await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    await expect(page.get_by_role("link", name="Go to my subnets")).to_be_visible()
    await check_both_widths(page, axe, "pages-06-error-404")
    response = await page.goto(f"{a.url}/staff/people")
    assert response is not None and response.status == 403
    await check_both_widths(page, axe, "pages-07-error-403")
    response = await page.goto(f"{a.url}/subnet?id={subnet}&older_than=yesterday&last=x")
    assert response is not None and response.status == 400
    await check_both_widths(page, axe, "pages-08-error-400")

    # The footer's pages.
    await page.goto(f"{a.url}/privacy")
    await expect(page.get_by_role("heading", name="Privacy notice")).to_be_visible()
    await check_both_widths(page, axe, "pages-13-privacy")

    # Leaving: asked first, then said.
    await page.goto(f"{a.url}/subnet?id={subnet}")
    await page.get_by_role("link", name="Leave this subnet").click()
    await expect(page.get_by_role("heading", name="Leave Carers?")).to_be_visible()
    await check_both_widths(page, axe, "pages-09-confirm-leave")
    await page.get_by_role("button", name="Leave this subnet").click()
    await expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "You have left the subnet"
    )
    await check_both_widths(page, axe, "pages-10-left")
    await context.close()


async def test_admin_page_fits_a_phone_in_chromium(
    start_node: StartNode, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    await manage.peer_add(a.directory, b.url)
    await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await manage.subnet_share(a.directory, "carers", b.url)
    await a.add_user("boss", "admin", "Boss")
    axe = Axe(axe_script=AXE_SCRIPT)
    page = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(page, a.url, "boss", second_factor=True)
    await page.goto(f"{a.url}/admin")
    await check_both_widths(page, axe, "pages-11-admin")
    await page.get_by_role("link", name="Stop sharing").first.click()
    await expect(page.get_by_role("heading", name="Stop sharing")).to_be_visible()
    await check_both_widths(page, axe, "pages-12-confirm-stop-sharing")
    await manage.invite_create(a.directory, by="boss", role="carer", subnets_=["carers"])
    await page.goto(f"{a.url}/staff/invitations")
    await check_both_widths(page, axe, "pages-14-invitations")
    await page.get_by_role("link", name="Revoke the carer invitation for Carers").click()
    await expect(page.get_by_role("heading", name="Revoke the carer invitation")).to_be_visible()
    await check_both_widths(page, axe, "pages-15-confirm-revoke")
    await page.get_by_role("button", name="Revoke invitation").click()
    await expect(page.get_by_text("Invitation revoked")).to_be_visible()
    await expect(page.get_by_text("Revoked", exact=True)).to_be_visible()
