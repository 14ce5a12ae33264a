"""In real Chromium: the First Step journey. A clinician assigns a person on the waiting list to
a First Step subnet and writes a page for its library; the person signs in, lands on What
happens next, reads the page and moves on to the discussion; the clinician sees the page was
read by one person. Every page passes axe-core's default rules at 360 px (and at desktop
width) with no sideways scrolling."""

from __future__ import annotations

import re

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode
from in_chromium import AXE_SCRIPT, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, expect

from node import manage

__all__ = ["chromium"]


async def test_assigned_person_lands_on_what_happens_next_reads_and_moves_on(
    start_node: StartNode, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "patient", "Sam")
    await manage.subnet_create(a.directory, "ed-first-step", "Eating disorders: First Step")
    await manage.subnet_create(a.directory, "other", "Another service")
    await manage.subnet_add(a.directory, "ed-first-step", "dr-ahmed")
    await manage.subnet_first_step(
        a.directory,
        "ed-first-step",
        True,
        {
            "service": "The eating disorders service",
            "address": "Prospect Park Hospital, Reading RG30 4EJ",
            "what_to_expect": "A first talk with a clinician, about an hour.",
            "expected_wait": "About 6 weeks",
        },
    )
    await a.add_user("admin", "admin", "Admin")
    axe = Axe(axe_script=AXE_SCRIPT)

    admin = await chromium.new_page(viewport={"width": 360, "height": 740})
    await sign_in(admin, a.url, "admin", second_factor=True)
    await admin.goto(f"{a.url}/admin")
    await admin.get_by_role(
        "link", name="First Step and What happens next for Another service"
    ).click()
    await admin.get_by_label("Yes").check()
    await admin.get_by_label("The expected wait").fill("\x07")
    await admin.get_by_role("button", name="Save").click()
    await expect(admin.get_by_role("heading", name="There is a problem")).to_be_visible()
    await check_both_widths(admin, axe, "first-step-settings-errors")
    await admin.close()

    staff = await chromium.new_page(viewport={"width": 360, "height": 740})
    await sign_in(staff, a.url, "dr-ahmed", second_factor=True)
    await staff.goto(f"{a.url}/staff/people")
    await staff.get_by_role("link", name="Sam", exact=True).click()
    await staff.get_by_role("link", name="Assign Sam to a First Step subnet").click()
    await expect(staff.get_by_label("Another service")).to_have_count(0)
    await check_both_widths(staff, axe, "first-step-assign")
    await staff.get_by_label("Eating disorders: First Step").check()
    await staff.get_by_role("button", name="Assign").click()
    await expect(staff.locator("#names + dl")).to_contain_text("Eating disorders: First Step")

    subnet = f"{a.url}/subnets/ed-first-step"
    await staff.goto(f"{a.url}/subnet/library?id={subnet}")
    await staff.get_by_role("link", name="Write a page").click()
    await staff.get_by_label("Section").fill("While you wait")
    await staff.get_by_label("Title").fill("Looking after yourself")
    await staff.get_by_label("Page text", exact=True).fill(
        "# Eating regularly\n\nTry to eat **three meals** a day.\n\n- Ask for help\n- Rest"
    )
    await check_both_widths(staff, axe, "library-write-page")
    await staff.get_by_role("button", name="Save the page").click()
    await expect(staff.get_by_role("heading", name="While you wait")).to_be_visible()
    await check_both_widths(staff, axe, "library-staff")
    await staff.get_by_role("link", name="Attach a PDF document or a video").click()
    await staff.get_by_role("button", name="Attach it").click()  # nothing chosen: errors
    await expect(staff.get_by_text("Choose a file to attach.").first).to_be_visible()
    await check_both_widths(staff, axe, "library-attach-errors")
    await staff.goto(f"{a.url}/subnet/library?id={subnet}")
    await staff.get_by_role("link", name="Edit Looking after yourself").click()
    await check_both_widths(staff, axe, "library-edit")

    person = await chromium.new_page(viewport={"width": 360, "height": 740})
    await sign_in(person, a.url, "sam")
    await person.get_by_role("link", name="Eating disorders: First Step").click()
    await expect(person.get_by_role("heading", name="What happens next")).to_be_visible()
    await expect(person.get_by_text("About 6 weeks")).to_be_visible()
    await check_both_widths(person, axe, "first-step-what-happens-next")
    await person.get_by_role("link", name="Looking after yourself").click()
    await expect(person.get_by_role("heading", name="Eating regularly")).to_be_visible()
    await check_both_widths(person, axe, "library-item")
    await person.get_by_role("link", name="Go to the discussion").click()
    await expect(
        person.get_by_role("heading", name="Eating disorders: First Step", exact=True)
    ).to_be_visible()
    await expect(person.get_by_label("Write a post")).to_be_visible()
    await check_both_widths(person, axe, "first-step-discussion")

    await person.goto(a.url)  # from now on the subnet opens on its discussion
    await person.get_by_role("link", name="Eating disorders: First Step").click()
    await expect(person.get_by_label("Write a post")).to_be_visible()

    await staff.goto(f"{a.url}/subnet/library?id={subnet}")
    readers = staff.locator("[data-readers]")
    await expect(readers).to_have_text("1")
    assert not re.search(r"\bSam\b", await staff.locator("#items").inner_text())
