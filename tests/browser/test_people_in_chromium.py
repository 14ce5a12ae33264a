"""In real Chromium at a phone's width: a clinician invites a patient, who joins by keyboard
alone, posts in a subnet shared with a partner trust, sees a carer there reply to it, and signs out.
Every page on the way passes axe-core's default rules and is saved as a screenshot."""

from __future__ import annotations

import re
import time

import pyotp
from axe_playwright_python.async_playwright import Axe
from conftest import PASSWORD, TOTP_SECRET, StartNode, peer_all, share
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, check_page, chromium
from playwright.async_api import Browser, Locator, Page, expect

from node import manage

__all__ = ["chromium"]
NEW_PASSWORD = "kettle orbit lantern"


async def _tab_to(page: Page, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element with `element_id` has focus (keyboard only, no clicks)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


async def _keyboard_sign_in(page: Page, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/sign-in")
    await _tab_to(page, "username")
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(password)
    await page.keyboard.press("Enter")


def _post(page: Page, text: str) -> Locator:
    """A post's text as shown on the subnet page (not the author's own edit box)."""
    return page.locator(".sharon-post", has_text=text)


async def test_invited_patient_joins_posts_reads_a_partner_reply_and_signs_out(
    start_node: StartNode, chromium: Browser
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    await peer_all(a, b)
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await b.add_user("alex", "carer", "Alex")
    await manage.add_user(a.directory, "nurse-new", "clinician", PASSWORD)
    carers = await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    await manage.subnet_add(b.directory, carers, "alex")
    axe = Axe(axe_script=AXE_SCRIPT)

    # The clinician signs in (password, then authenticator code) and creates an invitation.
    clinician = await (await chromium.new_context(viewport=PHONE)).new_page()
    await _keyboard_sign_in(clinician, a.url, "dr-ahmed", PASSWORD)
    await expect(clinician.get_by_role("heading", name="Enter your security code")).to_be_visible()
    await check_page(clinician, axe, "people-01-two-factor")
    await clinician.get_by_label("Security code").fill(pyotp.TOTP(TOTP_SECRET).now())
    await clinician.get_by_role("button", name="Continue").click()
    await expect(clinician.get_by_role("heading", name="My subnets")).to_be_visible()
    await clinician.goto(f"{a.url}/staff/invitations")
    await check_page(clinician, axe, "people-02-invitations-empty")
    await clinician.get_by_role("button", name="Create an invitation").click()
    await check_page(clinician, axe, "people-03-invitation-new")
    await clinician.get_by_role("button", name="Create invitation").click()
    await expect(clinician.get_by_role("heading", name="There is a problem")).to_be_visible()
    await check_page(clinician, axe, "people-04-invitation-errors")
    await clinician.get_by_label("Patient").check()
    await clinician.get_by_label("Carers across the Thames Valley").check()
    await clinician.get_by_label("Their real name (optional)").fill("River Thompson")
    await clinician.get_by_role("button", name="Create invitation").click()
    await expect(clinician.get_by_role("heading", name="Invitation created")).to_be_visible()
    await check_page(clinician, axe, "people-05-invitation-created")
    link = await clinician.locator("#invitation-link").get_attribute("href")
    assert link and link.startswith(f"{a.url}/join?token=")
    await clinician.goto(f"{a.url}/staff/invitations")
    await expect(clinician.get_by_text("Open", exact=True)).to_be_visible()
    await check_page(clinician, axe, "people-06-invitations-list")

    # The patient opens the link and joins using the keyboard alone.
    patient = await (await chromium.new_context(viewport=PHONE)).new_page()
    await patient.goto(link)
    await expect(patient.get_by_text("Carers across the Thames Valley")).to_be_visible()
    await check_page(patient, axe, "people-07-join")
    await _tab_to(patient, "pseudonym")
    await patient.keyboard.type("River T")
    await patient.keyboard.press("Tab")
    await patient.keyboard.type("river")
    await patient.keyboard.press("Tab")
    await patient.keyboard.type("password123")
    await patient.keyboard.press("Enter")
    await expect(patient.get_by_role("heading", name="There is a problem")).to_be_visible()
    await expect(patient.get_by_text("not your real name").first).to_be_visible()
    await check_page(patient, axe, "people-08-join-errors")
    await _tab_to(patient, "pseudonym")
    await patient.keyboard.press("ControlOrMeta+A")
    await patient.keyboard.type("Willow")
    await _tab_to(patient, "password")
    await patient.keyboard.type(NEW_PASSWORD)
    await patient.keyboard.press("Enter")
    await expect(patient.get_by_role("heading", name="Welcome, Willow")).to_be_visible()
    await check_page(patient, axe, "people-09-welcome")
    await patient.get_by_role("button", name="Go to my subnets").click()
    await expect(patient.get_by_role("heading", name="My subnets")).to_be_visible()
    await check_page(patient, axe, "people-09-patient-home")

    # They post in the shared subnet; a carer at the partner trust answers there.
    await patient.get_by_role("link", name="Carers across the Thames Valley").click()
    text = "Hello, I am new here and a bit nervous (marker W1LL0W)"
    await patient.get_by_label("Write a post").fill(text)
    await patient.get_by_role("button", name="Post", exact=True).click()
    await expect(_post(patient, text)).to_be_visible()
    await check_page(patient, axe, "people-10-patient-posted")

    alex = await (await chromium.new_context(viewport=PHONE)).new_page()
    await _keyboard_sign_in(alex, b.url, "alex", PASSWORD)
    await expect(alex.get_by_role("heading", name="My subnets")).to_be_visible()
    await alex.get_by_role("link", name="Carers across the Thames Valley").click()
    deadline = time.monotonic() + 10
    while not await _post(alex, text).is_visible():
        assert time.monotonic() < deadline, "the patient's post did not reach the partner"
        await alex.wait_for_timeout(200)
        await alex.reload()
    reply = "Welcome Willow, we have all been there. You are among friends (marker R3PLY)"
    card = alex.locator("li.nhsuk-card").filter(has=_post(alex, text))
    await card.locator("summary", has_text="Reply").first.click()
    await card.get_by_label("Your reply").fill(reply)
    await card.get_by_role("button", name="Reply").click()
    await expect(_post(alex, reply)).to_be_visible()

    deadline = time.monotonic() + 10
    await patient.reload()
    while not await _post(patient, reply).is_visible():
        assert time.monotonic() < deadline, "the partner's answer did not reach the patient"
        await patient.wait_for_timeout(200)
        await patient.reload()
    await expect(patient.get_by_text("Oxford Health").first).to_be_visible()
    reply_card = patient.locator("li.nhsuk-card").filter(has=_post(patient, reply))
    await expect(reply_card.get_by_text("In reply to")).to_be_visible()
    await check_page(patient, axe, "people-11-patient-sees-reply")

    # Their account pages, then sign out.
    await patient.get_by_role("link", name="Your account").first.click()
    await expect(patient.get_by_role("heading", name="Your account")).to_be_visible()
    await check_page(patient, axe, "people-12-account")
    await patient.get_by_label("Wave").check()
    await patient.get_by_role("button", name="Save profile").click()
    await expect(patient.get_by_text("Your profile has been saved")).to_be_visible()
    await patient.get_by_role("link", name="View your data").click()
    await expect(patient.get_by_text(text)).to_be_visible()
    await check_page(patient, axe, "people-13-my-data")
    await patient.goto(f"{a.url}/account/erase")
    await check_page(patient, axe, "people-14-erase")
    await patient.get_by_role("link", name="Sign out").first.click()
    await check_page(patient, axe, "people-15-sign-out")
    await patient.get_by_role("button", name="Sign out").click()
    await expect(patient.get_by_role("heading", name="Sign in")).to_be_visible()
    await patient.goto(f"{a.url}/")
    await expect(patient.get_by_role("heading", name="Sign in")).to_be_visible()

    # Staff pages about the new patient, and the password-reset page they would be sent.
    await clinician.goto(f"{a.url}/staff/people")
    await check_both_widths(clinician, axe, "people-16-staff-people")
    await clinician.get_by_role("link", name="Willow").click()
    await expect(clinician.get_by_label("Real name")).to_have_value("River Thompson")
    await check_both_widths(clinician, axe, "people-17-staff-person")
    await clinician.get_by_role("button", name="Create a password reset link").click()
    reset = await clinician.locator("#reset-link").get_attribute("href")
    await check_both_widths(clinician, axe, "people-17-staff-person-reset-link")
    assert reset
    fresh = await (await chromium.new_context(viewport=PHONE)).new_page()
    await fresh.goto(reset)
    await check_page(fresh, axe, "people-18-reset")
    await fresh.goto(f"{a.url}/join")
    await check_page(fresh, axe, "people-19-join-by-code")

    # A clinician's first sign-in: set up an authenticator app, then see recovery codes.
    newcomer = await (await chromium.new_context(viewport=PHONE)).new_page()
    await _keyboard_sign_in(newcomer, a.url, "nurse-new", PASSWORD)
    await expect(
        newcomer.get_by_role("heading", name="Set up your authenticator app")
    ).to_be_visible()
    await check_page(newcomer, axe, "people-20-enrol")
    shown = await newcomer.locator("#totp-secret").inner_text()
    await newcomer.get_by_label("Security code").fill(pyotp.TOTP(re.sub(r"\s", "", shown)).now())
    await newcomer.get_by_role("button", name="Turn on two-step sign-in").click()
    await expect(newcomer.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    await check_page(newcomer, axe, "people-21-recovery-codes")
    await newcomer.get_by_role("button", name="I have saved them, continue").click()
    await newcomer.goto(f"{a.url}/account")
    await expect(newcomer.get_by_text("You have 10 recovery codes left")).to_be_visible()
    await check_page(newcomer, axe, "people-22-staff-account")

    # The patient uses the reset link, signs in again, and erases their account.
    await fresh.goto(reset)
    await fresh.get_by_label("New password").fill("kestrel above fields")
    await fresh.get_by_role("button", name="Set password").click()
    await expect(
        fresh.get_by_role("heading", name="Your password has been changed")
    ).to_be_visible()
    await check_page(fresh, axe, "people-23-reset-done")
    await _keyboard_sign_in(fresh, a.url, "river", "kestrel above fields")
    await expect(fresh.get_by_role("heading", name="My subnets")).to_be_visible()
    await fresh.goto(f"{a.url}/account/erase")
    await fresh.get_by_role("button", name="Erase my account").click()
    await expect(fresh.get_by_role("heading", name="There is a problem")).to_be_visible()
    await check_page(fresh, axe, "people-24-erase-errors")
    await fresh.get_by_label("I understand my account and posts will be erased").check()
    await fresh.get_by_label("Your password").fill("kestrel above fields")
    await fresh.get_by_role("button", name="Erase my account").click()
    await expect(fresh.get_by_role("heading", name="Your account has been erased")).to_be_visible()
    await check_page(fresh, axe, "people-25-erased")
