"""In real Chromium, without JavaScript: an analyst at the host trust opens the Evidence page of
a subnet shared by three trusts; every trust's figures are there, pooled; a cell of 3 people
shows `*`; the network medians are a table; each chart is an image with a name and a
description and a table of its figures. The index and the page pass axe-core at 360 px and
1280 px."""

from __future__ import annotations

import re

from axe_playwright_python.async_playwright import Axe
from conftest import BrowserFactory, StartNode
from evidence_setup import three_trusts
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, expect

__all__ = ["chromium"]


async def test_an_analyst_reads_pooled_evidence_in_chromium(
    start_node: StartNode, chromium: Browser, browser: BrowserFactory
) -> None:
    (a, *_), _, _ = await three_trusts(start_node, browser)
    await a.add_user("ann", "analyst", "Ann")
    axe = Axe(axe_script=AXE_SCRIPT)

    context = await chromium.new_context(viewport=PHONE, java_script_enabled=False)
    ann = await context.new_page()
    await sign_in(ann, a.url, "ann", second_factor=True)
    await ann.goto(f"{a.url}/evidence")  # the header's menu holds it on a phone
    await expect(ann.get_by_role("heading", name="Evidence", exact=True)).to_be_visible()
    await ann.get_by_role("link", name="Carers across the region").click()
    await expect(
        ann.get_by_role("heading", name="Evidence: Carers across the region")
    ).to_be_visible()

    people = ann.get_by_role("table", name="Invitations and members")
    oxford = people.get_by_role("row", name="Oxford Health")
    await expect(oxford.locator('[data-figure="active"]')).to_have_text("Active members *")
    bucks = people.get_by_role("row", name="Bucks")
    await expect(bucks.locator('[data-figure="active"]')).to_have_text("Active members 10")
    network = people.get_by_role("row", name="All trusts")
    await expect(network.locator('[data-figure="active"]')).to_have_text("Active members ≥ 10")
    await expect(ann.get_by_text("Not all trusts answered")).to_have_count(0)
    medians = ann.get_by_role("table", name=re.compile(r"^Network medians, \d{4}-\d{2}$"))
    alerts = medians.get_by_role("row", name=re.compile("^Time to acknowledge an alert"))
    await expect(alerts.locator("[data-median]")).to_have_text("Network median –")  # none yet

    for title in ("Active members by month", "Share of activity out of hours by month"):
        chart = ann.get_by_role("img", name=title)
        await expect(chart).to_have_count(1)
        await expect(chart).to_have_accessible_description(
            re.compile(r"^Bar chart of .* The table after the chart gives every value\.$")
        )
    await expect(ann.get_by_role("table", name="The figures in this chart")).to_have_count(2)
    assert await ann.locator("svg script, svg style").count() == 0

    checking = await chromium.new_context(viewport=PHONE)  # axe runs as a script in the page
    await checking.add_cookies(await context.cookies())  # Ann's session: a code works once
    checker = await checking.new_page()
    console: list[str] = []
    checker.on("console", lambda message: console.append(message.text))
    await check_both_widths(checker, axe, "evidence-index", url=f"{a.url}/evidence")
    await check_both_widths(checker, axe, "evidence-subnet", url=ann.url)
    blocked = [m for m in console if "Content Security Policy" in m and "font" not in m]
    assert blocked == [], blocked  # no inline style or script of the charts was refused
