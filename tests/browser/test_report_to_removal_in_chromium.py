"""In real Chromium, three trusts: A hosts "Carers across the valley", shared with B and C. A
member on B reports a post written on A; A's clinician finds the report in the moderation
queue and removes the post with a reason; it is gone from B's and C's pages, the reporter on B
is told (never by whom or why), and the author on A reads the reason. Then `sharon audit
verify` finds A's chain whole, and names the entry a direct edit of the database broke. The
report and queue pages pass axe-core's default rules at 360 px and 1280 px."""

from __future__ import annotations

import asyncio

import pytest
from axe_playwright_python.async_playwright import Axe
from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    subnet_path,
    write,
)
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, chromium, sign_in
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select, text

from node import manage
from node.cli import main
from storage.models import Audit

__all__ = ["chromium"]
SUBNET = "Carers across the valley"
POST = "The day centre rota changed again and nobody told us, typical of them (marker RM7Q)"
REASON = "It names a family member who has not agreed to be discussed here."


async def test_a_report_on_a_partner_trust_ends_in_a_removal_everywhere_and_an_audited_chain(
    start_node: StartNode,
    chromium: Browser,
    browser: BrowserFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b, c = (
        await start_node("Berkshire Healthcare"),
        await start_node("Oxford Health"),
        await start_node("Bucks Healthcare"),
    )
    await peer_all(a, b, c)
    for node, username, role in (
        (a, "dr-ahmed", "clinician"),
        (a, "sam", "carer"),
        (b, "alex", "carer"),
        (c, "jo", "carer"),
    ):
        await node.add_user(username, role, username.replace("-", " ").title())
    subnet = await manage.subnet_create(a.directory, "carers", SUBNET)
    await share(a, "carers", b)
    await share(a, "carers", c)
    for username in ("dr-ahmed", "sam"):
        await manage.subnet_add(a.directory, "carers", username)
    await manage.subnet_add(b.directory, subnet, "alex")
    await manage.subnet_add(c.directory, subnet, "jo")
    await eventually(lambda: _members(a, subnet, 4), within=30)
    sam = browser(a)
    await sam.sign_in("sam")
    await write(sam, subnet, POST)
    axe = Axe(axe_script=AXE_SCRIPT)

    alex = await _member(chromium, b, "alex")
    jo = await _member(chromium, c, "jo")
    for page, node in ((alex, b), (jo, c)):
        await eventually(lambda page=page, node=node: _shows(page, node, subnet), within=30)

    await alex.get_by_role("link", name="Report the post by Sam").click()
    await check_both_widths(alex, axe, "report-flow-01-report")
    await alex.get_by_label("Bullying or abuse").check()
    await alex.get_by_role("button", name="Send report").click()
    await expect(
        alex.get_by_role("heading", name="Thank you, your report was sent")
    ).to_be_visible()

    staff = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(staff, a.url, "dr-ahmed", second_factor=True)

    async def queued() -> bool:
        await staff.goto(f"{a.url}/staff/queue")
        return await staff.get_by_role("heading", name="Reported by 1 member").count() == 1

    await eventually(queued, within=30)
    await check_both_widths(staff, axe, "report-flow-02-queue")
    await staff.get_by_role("link", name="Review reported by 1 member").click()
    await staff.get_by_role("link", name="Remove", exact=True).click()
    await staff.get_by_label("Reason (the person will be told this)").fill(REASON)
    await staff.get_by_role("button", name="Remove the post").click()
    await staff.goto(f"{a.url}/staff/queue")
    await expect(staff.get_by_text("Nothing is waiting.")).to_be_visible()
    await check_both_widths(staff, axe, "report-flow-03-queue-empty")

    for page, node in ((alex, b), (jo, c)):
        await eventually(lambda page=page, node=node: _gone(page, node, subnet), within=30)

    told = "A post you reported in Carers across the valley is no longer there."

    async def reporter_told() -> bool:
        await alex.goto(f"{b.url}/notices")
        return await alex.get_by_text(told).count() == 1

    await eventually(reporter_told, within=30)
    assert REASON not in await alex.content()  # the reason is the author's alone
    await check_both_widths(alex, axe, "report-flow-04-reporter-notice")
    _, notices = await sam.get("/notices")
    assert "A moderator removed your post" in notices and REASON in notices

    capsys.readouterr()
    assert await _verify(a) == 0
    assert "The audit chain is whole" in capsys.readouterr().out
    async with a.db.transaction() as s:
        removal = (
            await s.execute(select(Audit).where(Audit.action == "post.deleted"))
        ).scalar_one()
        await s.execute(
            text("UPDATE audit SET who = 'someone else' WHERE seq = :seq"), {"seq": removal.seq}
        )
    assert await _verify(a) == 2
    assert (
        f"broken at entry {removal.seq} (id {removal.id}): entry {removal.seq} was changed"
        in capsys.readouterr().err
    )


async def _member(chromium: Browser, node: TestNode, username: str) -> Page:
    page = await (await chromium.new_context(viewport=PHONE)).new_page()
    await sign_in(page, node.url, username)
    return page


async def _members(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def _shows(page: Page, node: TestNode, subnet: str) -> bool:
    await page.goto(f"{node.url}{subnet_path(subnet)}")
    return "marker RM7Q" in await page.content()


async def _gone(page: Page, node: TestNode, subnet: str) -> bool:
    await page.goto(f"{node.url}{subnet_path(subnet)}")
    await expect(page.get_by_role("heading", name=SUBNET, exact=True)).to_be_visible()
    return await page.get_by_text("marker RM7Q").count() == 0


async def _verify(node: TestNode) -> int:
    """`sharon audit verify DIR`, in this process (its output in capsys)."""
    return await asyncio.to_thread(main, ["audit", "verify", str(node.directory)])
