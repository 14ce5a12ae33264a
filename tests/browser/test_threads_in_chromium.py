"""In real Chromium, without JavaScript: a carer at the partner trust reads a conversation with
the host trust as threads — replies under the posts they answer, reply counts that open a
thread's own page, and "in reply to" links back up — and answers from the thread page. The
subnet page and the thread page pass axe-core's default rules at 360 px and 1280 px, with no
sideways scrolling."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from conftest import BrowserFactory, StartNode, carers_pair, eventually, shows, write
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, expect

__all__ = ["chromium"]


async def test_threads_across_two_trusts_in_chromium(
    start_node: StartNode, chromium: Browser, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex_http = await carers_pair(start_node, browser)
    said = [
        (sam, a, None, "How do you all cope with the nights? (marker T0)"),
        (alex_http, b, 0, "Earplugs, honestly (marker T1)"),
        (sam, a, 1, "Which kind work for you? (marker T2)"),
        (alex_http, b, 2, "The soft foam ones from the chemist (marker T3)"),
        (sam, a, 3, "Thanks, I have ordered some (marker T4)"),
    ]
    uris: list[str] = []
    for person, home, answers, text in said:
        await write(person, subnet, text, in_reply_to=uris[answers] if answers is not None else "")
        uris.append(await home.post_uri(text))
        other = alex_http if person is sam else sam
        await eventually(lambda t=text, o=other: shows(o, subnet, t), within=20)
    axe = Axe(axe_script=AXE_SCRIPT)

    alex = await (await chromium.new_context(viewport=PHONE, java_script_enabled=False)).new_page()
    await sign_in(alex, b.url, "alex")
    await alex.get_by_role("link", name="Carers").first.click()
    first = alex.locator("li.nhsuk-card").filter(has_text="marker T0").first
    await expect(first.get_by_role("link", name="1 reply to the post by Sam").first).to_be_visible()
    nested = first.locator("ul li.nhsuk-card")  # every reply sits inside the post's card
    await expect(nested).to_have_count(4)
    deepest = alex.locator("li.nhsuk-card").filter(has_text="marker T4").last
    await expect(deepest.get_by_text("In reply to Alex’s post")).to_be_visible()
    await expect(deepest.get_by_text("No replies yet")).to_be_visible()

    checker = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(checker, b.url, "alex")
    await checker.goto(alex.url)
    await check_both_widths(checker, axe, "threads-subnet")

    # The reply count opens the thread of Alex's own answer; its link leads back up.
    reply = alex.locator("li.nhsuk-card").filter(has_text="marker T1").last
    await reply.get_by_role("link", name="1 reply to the post by Alex").first.click()
    await expect(alex.get_by_role("heading", name="A post and its replies")).to_be_visible()
    await expect(alex.locator("li.nhsuk-card")).to_have_count(4)  # T1 and the three below
    await checker.goto(alex.url)
    await check_both_widths(checker, axe, "threads-thread")
    await alex.get_by_role("link", name="Sam’s post").first.click()
    await expect(alex.get_by_role("heading", name="A post and its replies")).to_be_visible()
    await expect(alex.get_by_text("How do you all cope with the nights?")).to_be_visible()

    # Answering from the thread page comes back to it, the answer under its post.
    top = alex.locator("li.nhsuk-card").filter(has_text="marker T0").first
    await top.locator("summary").filter(has_text="Reply").first.click()
    await top.get_by_label("Your reply").first.fill("A warm bath before bed helps me (marker T5)")
    await top.get_by_role("button", name="Send reply to Sam").first.click()
    await expect(alex.get_by_role("heading", name="A post and its replies")).to_be_visible()
    answer = alex.locator("li.nhsuk-card").filter(has_text="marker T5").last
    await expect(answer.get_by_role("link", name="Sam’s post")).to_have_attribute(
        "href", "#" + (await top.get_attribute("id") or "")
    )
    await eventually(lambda: shows(sam, subnet, "marker T5"), within=20)
