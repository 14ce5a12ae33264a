"""In real Chromium at 360 px, without JavaScript: a clinician puts herself on a patient's care
team from his record; he writes to his care team and sees the stated reply time; she sees the
unread count, opens the conversation and replies; he follows the notice to her reply. Every
page of it passes axe-core's default rules at 360 px and 1280 px (checked in a second window
of each person's with JavaScript on, which axe needs)."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from conftest import StartNode
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser as Chromium
from playwright.async_api import Page, expect

from node import manage

__all__ = ["chromium"]
QUESTION = "Could we talk about the new tablets before Friday? (marker Q6B1)"
ANSWER = "Yes, I will call you on Thursday morning. (marker A3J8)"


async def test_a_message_exchange_with_a_clinician_in_chromium(
    start_node: StartNode, chromium: Chromium
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "patient", "Sam")
    await manage.subnet_create(a.directory, "first-step", "First Step")
    await manage.subnet_add(a.directory, "first-step", "sam")
    axe = Axe(axe_script=AXE_SCRIPT)

    async def window(username: str, *, javascript: bool) -> Page:
        context = await chromium.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = await context.new_page()
        await sign_in(page, a.url, username, second_factor=username == "dr-ahmed")
        return page

    async def checked(checker: Page, url: str, name: str) -> None:
        await checker.set_viewport_size(PHONE)  # as a phone loads it
        await checker.goto(url)
        await check_both_widths(checker, axe, name)

    clinician = await window("dr-ahmed", javascript=False)
    clinician_checker = await window("dr-ahmed", javascript=True)
    await clinician.goto(f"{a.url}/staff/people")
    await clinician.get_by_role("link", name="Sam", exact=True).click()
    await expect(clinician.get_by_role("heading", name="Care team")).to_be_visible()
    await expect(clinician.get_by_text("Nobody is on Sam's care team yet")).to_be_visible()
    await expect(clinician.get_by_label("Add a clinician to the team")).to_have_value(
        await _id_of(a, "dr-ahmed")
    )
    await clinician.get_by_role("button", name="Add to the care team").click()
    await expect(clinician.get_by_text("Care team updated")).to_be_visible()
    await expect(clinician.get_by_text("Dr Ahmed (you)")).to_be_visible()
    await checked(clinician_checker, clinician.url, "messages-care-team")

    patient = await window("sam", javascript=False)
    patient_checker = await window("sam", javascript=True)
    await patient.goto(f"{a.url}/messages")
    await expect(patient.get_by_text("We usually reply within 1 working day.")).to_be_visible()
    await checked(patient_checker, patient.url, "messages-list-empty")
    await patient.get_by_role("link", name="Write to Your care team").click()
    await patient.get_by_label("Your message").fill(QUESTION)
    await checked(patient_checker, patient.url, "messages-new")
    await patient.get_by_role("button", name="Send message").click()
    await expect(patient.get_by_text("Your message has been sent")).to_be_visible()
    await expect(patient.get_by_text(QUESTION)).to_be_visible()
    await checked(patient_checker, patient.url, "messages-conversation-patient")

    await clinician.goto(f"{a.url}/messages")
    await expect(clinician.get_by_role("link", name="Messages (1 unread)")).to_have_count(1)
    await expect(clinician.get_by_text("1 unread", exact=True)).to_be_visible()
    await checked(clinician_checker, clinician.url, "messages-list-clinician")
    await clinician.get_by_role("link", name="Sam and their care team").click()
    await expect(clinician.get_by_text(QUESTION)).to_be_visible()
    await clinician.get_by_label("Your reply").fill(ANSWER)
    await clinician.get_by_role("button", name="Send message").click()
    await expect(clinician.get_by_text(ANSWER)).to_be_visible()
    await checked(clinician_checker, clinician.url, "messages-conversation-clinician")
    await clinician.goto(f"{a.url}/staff/messages/times")
    await expect(clinician.get_by_role("heading", name="Messages to a care team")).to_be_visible()
    await checked(clinician_checker, clinician.url, "messages-reply-times")

    await patient.goto(f"{a.url}/notices")
    await patient.get_by_role("link", name="Dr Ahmed sent you a message.").click()
    await expect(patient.get_by_text(ANSWER)).to_be_visible()
    await expect(patient.get_by_text("Clinician", exact=True)).to_be_visible()
    await patient_checker.set_viewport_size(PHONE)
    await patient_checker.goto(patient.url)
    await patient_checker.get_by_role("button", name="Send message").click()
    await expect(
        patient_checker.get_by_text("Write your message before sending it.").first
    ).to_be_visible()
    await check_both_widths(patient_checker, axe, "messages-conversation-error")


async def _id_of(node: object, username: str) -> str:
    uri: str = await node.person_uri(username)  # type: ignore[attr-defined]
    return uri.rsplit("/", 1)[-1]
