"""In real Chromium at a phone's width and a desktop's: a member reports a post, a moderator
finds it in the moderation queue, removes it with a reason on the confirmation page, and opens
the suspension page. Every new page passes axe-core's default rules without sideways scrolling."""

from __future__ import annotations

from urllib.parse import quote

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, expect

from node import manage

__all__ = ["chromium"]


async def test_report_queue_and_confirmation_pages_in_chromium(
    start_node: StartNode, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    for username, role in (("sam", "carer"), ("jo", "carer"), ("dr-ahmed", "clinician")):
        await a.add_user(username, role, username.replace("-", " ").title())
        await manage.subnet_create(a.directory, "carers", "Carers") if username == "sam" else None
        await manage.subnet_add(a.directory, "carers", username)
    axe = Axe(axe_script=AXE_SCRIPT)

    jo = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(jo, a.url, "jo")
    await jo.get_by_role("link", name="Carers").click()
    await jo.get_by_label("Write a post").fill("Selling cheap watches, message me (marker BR1)")
    await jo.get_by_role("button", name="Post", exact=True).click()

    sam = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(sam, a.url, "sam")
    await sam.get_by_role("link", name="Carers").click()
    await check_both_widths(sam, axe, "subnet-with-report")
    await sam.get_by_role("link", name="Report the post by Jo").click()
    await check_both_widths(sam, axe, "report")
    await sam.get_by_role("button", name="Send report").click()
    await expect(sam.get_by_text("Choose why you are reporting").first).to_be_visible()
    await check_both_widths(sam, axe, "report-error")
    await sam.get_by_label("Spam").check()
    await sam.get_by_role("button", name="Send report").click()
    await expect(sam.get_by_role("heading", name="Thank you, your report was sent")).to_be_visible()
    await check_both_widths(sam, axe, "report-sent")

    staff = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(staff, a.url, "dr-ahmed", second_factor=True)
    await staff.goto(f"{a.url}/staff/queue")
    await expect(staff.get_by_role("heading", name="Reported by 1 member")).to_be_visible()
    await check_both_widths(staff, axe, "moderation-queue")
    await staff.get_by_role("link", name="Review reported by 1 member").click()
    await check_both_widths(staff, axe, "moderate-waiting")
    await staff.get_by_role("link", name="Remove", exact=True).click()
    await check_both_widths(staff, axe, "moderate-confirm-remove")
    await staff.get_by_role("button", name="Remove the post").click()
    await expect(staff.get_by_text("Write a reason").first).to_be_visible()
    await check_both_widths(staff, axe, "moderate-confirm-error")
    await staff.get_by_label("Reason (the person will be told this)").fill(
        "Adverts are not allowed."
    )
    await staff.get_by_role("button", name="Remove the post").click()
    await expect(staff.get_by_role("heading", name="Members of Carers")).to_be_visible()
    await staff.get_by_role("link", name="Suspend Jo").click()
    await check_both_widths(staff, axe, "moderate-confirm-suspend")
    await staff.goto(f"{a.url}/staff/queue")
    await expect(staff.get_by_text("Nothing is waiting.")).to_be_visible()
    await check_both_widths(staff, axe, "moderation-queue-empty")

    await jo.goto(f"{a.url}/notices")
    await expect(jo.get_by_text("Adverts are not allowed.")).to_be_visible()


async def test_a_post_a_moderator_hid_is_listed_apart_to_show_again_in_chromium(
    start_node: StartNode, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    await manage.subnet_create(a.directory, "carers", "Carers")
    for username, role in (("jo", "carer"), ("dr-ahmed", "clinician")):
        await a.add_user(username, role, username.replace("-", " ").title())
        await manage.subnet_add(a.directory, "carers", username)
    axe = Axe(axe_script=AXE_SCRIPT)
    jo = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(jo, a.url, "jo")
    await jo.get_by_role("link", name="Carers").click()
    await jo.get_by_label("Write a post").fill("Nobody would notice if I left (marker BR2)")
    await jo.get_by_role("button", name="Post", exact=True).click()

    staff = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(staff, a.url, "dr-ahmed", second_factor=True)
    await staff.get_by_role("link", name="Carers").click()
    await staff.get_by_role("button", name="Hide the post by Jo").click()
    await staff.goto(f"{a.url}/staff/queue")
    await expect(staff.get_by_text("Nothing is waiting.")).to_be_visible()
    await staff.goto(f"{a.url}/moderate?id={quote(a.url + '/subnets/carers', safe='')}")
    await expect(staff.get_by_role("heading", name="Posts a moderator hid")).to_be_visible()
    await expect(staff.get_by_text("Hidden by a moderator")).to_be_visible()
    await check_both_widths(staff, axe, "moderate-hidden-by-moderator")
    await staff.get_by_role("button", name="Show again").click()
    await jo.reload()
    await expect(jo.get_by_text("marker BR2")).to_be_visible()
