"""In real Chromium at a phone's width, three trusts: a patient on B writes crisis text in a
subnet hosted on A (shared with B and C). The author sees crisis support at once; nobody else on
A, B or C sees the post and A holds nothing of it; a clinician on B sees the alert and
acknowledges it; a second alert left alone escalates after 15 minutes on B's clock and
shows, in red, to B's admin. Every new page passes axe-core's default rules at 360 px
(the alerts pages at 1280 px too, and without sideways scrolling)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
from axe_playwright_python.async_playwright import Axe
from conftest import PASSWORD, TOTP_SECRET, MovableClock, StartNode, eventually, peer_all, share
from in_chromium import AXE_SCRIPT, PHONE, check_both_widths, check_page, chromium
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from test_crisis_alerts import _join_done

from actors.clock import utcnow
from node import manage
from storage.models import Alert, PostRef

__all__ = ["chromium"]
CRISIS = "I can't do this anymore, I want to end it tonight (marker V3X7)"
SECOND = "ctb tonight, sorry (marker Z6J4)"
BENIGN = "First week back at college went ok (marker N8D1)"


async def _sign_in(page: Page, base: str, username: str, now: datetime) -> None:
    """Sign in; a staff member's code is the one for `now` on that node's clock."""
    await page.goto(f"{base}/sign-in")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    if await page.get_by_role("heading", name="Enter your security code").count():
        await page.get_by_label("Security code").fill(pyotp.TOTP(TOTP_SECRET).at(now))
        await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="My subnets")).to_be_visible()


async def _write(page: Page, base: str, subnet: str, text: str) -> None:
    await page.goto(f"{base}/subnet?id={subnet}")
    await page.get_by_label("Write a post").fill(text)
    await page.get_by_role("button", name="Post", exact=True).click()


async def test_crisis_post_is_held_at_home_signposted_alerted_and_escalated(
    start_node: StartNode, chromium: Browser
) -> None:
    clock = MovableClock()
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health", clock=clock)
    c = await start_node("Bucks")
    await peer_all(a, b, c)
    await a.add_user("sam", "patient", "Sam")
    await b.add_user("pat", "patient", "Pat")
    await b.add_user("robin", "patient", "Robin")
    await c.add_user("jo", "patient", "Jo")
    await b.add_user("nurse-kim", "clinician", "Nurse Kim")
    await b.add_user("boss", "admin", "Boss")
    subnet = await manage.subnet_create(a.directory, "camhs", "CAMHS teens")
    await share(a, "camhs", b)
    await share(a, "camhs", c)
    await manage.subnet_add(a.directory, "camhs", "sam")
    for node, username in ((b, "pat"), (b, "robin"), (c, "jo")):
        await manage.subnet_add(node.directory, subnet, username)
    await eventually(lambda: _join_done(a, 3), within=10)
    axe = Axe(axe_script=AXE_SCRIPT)

    async def page_for(node, username: str) -> Page:  # type: ignore[no-untyped-def]
        page = await (await chromium.new_context(viewport=PHONE)).new_page()
        await _sign_in(page, node.url, username, clock() if node is b else utcnow())
        return page

    pat = await page_for(b, "pat")
    await _write(pat, b.url, subnet, CRISIS)
    async with b.db.transaction() as session:  # raised with the post, not by a later pass
        assert len((await session.execute(select(Alert))).scalars().all()) == 1
    # The author's next page: support at once, in plain words, with big tel:/sms: links.
    await expect(pat.get_by_role("heading", name="Support is here if you need it")).to_be_visible()
    await expect(pat.get_by_text("A member of the team will see this soon")).to_be_visible()
    samaritans = pat.get_by_role("link", name="Call Samaritans on 116 123", exact=True)
    await expect(samaritans).to_have_attribute("href", "tel:116123")
    await expect(pat.get_by_role("link", name="Text SHOUT to 85258", exact=True)).to_have_attribute(
        "href", "sms:85258?body=SHOUT"
    )
    for link in await pat.locator("a.sharon-helpline").all():
        box = await link.bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, box
    assert "algorithm" not in (await pat.content()).lower()
    await check_page(pat, axe, "crisis-01-support")
    await pat.get_by_role("link", name="Back to your subnet").first.click()
    await expect(pat.locator(".sharon-post", has_text="V3X7")).to_be_visible()
    await expect(pat.get_by_text("Only you and our team can see this post for now")).to_be_visible()
    await check_page(pat, axe, "crisis-02-held-post-for-its-author")

    # An ordinary post goes everywhere; the crisis post goes nowhere.
    await _write(pat, b.url, subnet, BENIGN)
    sam, robin, jo = await page_for(a, "sam"), await page_for(b, "robin"), await page_for(c, "jo")
    for other, node in ((sam, a), (robin, b), (jo, c)):
        await other.goto(f"{node.url}/subnet?id={subnet}")
        await expect(other.locator(".sharon-post", has_text="N8D1")).to_be_visible(timeout=10_000)
        assert "V3X7" not in await other.content()
    assert "V3X7" not in await a.all_rows_text() and "V3X7" not in await c.all_rows_text()
    crisis_uri = await b.post_uri(CRISIS)
    assert crisis_uri not in await a.all_rows_text() and await a.count(PostRef) == 1
    for path in a.sqlite_files:
        assert b"V3X7" not in path.read_bytes(), path

    # B's clinician sees the alert at once, with the count in the title, and acknowledges.
    kim = await page_for(b, "nurse-kim")
    await expect(kim).to_have_title("(1) My subnets – Oxford Health – SHaRON")
    await kim.get_by_role("link", name="Alerts (1 new)").click()
    await check_both_widths(kim, axe, "crisis-03-alerts-board")
    await kim.get_by_role("link", name="Urgent: Pat in CAMHS teens").click()
    await expect(kim.get_by_text("V3X7")).to_be_visible()
    await check_both_widths(kim, axe, "crisis-04-alert")
    await kim.get_by_role("button", name="Acknowledge: I am looking at this").click()
    await expect(kim.get_by_text("Acknowledged by Nurse Kim")).to_be_visible()
    await kim.get_by_label("Add a note").fill("Called Pat; safe, seeing crisis team tomorrow")
    await kim.get_by_role("button", name="Add note").click()
    await expect(kim.get_by_text("seeing crisis team tomorrow")).to_be_visible()
    await check_both_widths(kim, axe, "crisis-05-alert-acknowledged")

    # A second alert nobody acknowledges: 15 minutes later on B's clock it escalates.
    await _write(pat, b.url, subnet, SECOND)
    clock.advance(timedelta(minutes=15, seconds=5))

    async def escalated() -> bool:
        async with b.db.transaction() as s:
            rows = (await s.execute(select(Alert))).scalars().all()
        return any(row.escalated_at is not None for row in rows)

    await eventually(escalated, within=30)
    boss = await page_for(b, "boss")
    await boss.goto(f"{b.url}/staff/alerts")
    await expect(boss.get_by_text("Escalated: not acknowledged within 15 minutes")).to_be_visible()
    await expect(boss).to_have_title("(1) Alerts – Oxford Health – SHaRON")
    await check_both_widths(boss, axe, "crisis-06-escalated-for-admin")
    await boss.goto(f"{b.url}/admin")
    await expect(boss.get_by_role("heading", name="Paging webhook")).to_be_visible()
    await check_page(boss, axe, "crisis-07-admin-with-paging-record")
    await kim.goto(f"{b.url}/staff/alerts")
    await expect(kim.locator(".sharon-escalated")).to_have_count(1)
    await kim.get_by_role("button", name="Go on duty").click()
    await expect(kim.get_by_text("On duty: Nurse Kim")).to_be_visible()
    await check_both_widths(kim, axe, "crisis-08-alerts-on-duty")
    await pat.goto(f"{b.url}/help")
    await expect(pat.get_by_role("link", name="Call Childline on 0800 1111")).to_have_attribute(
        "href", "tel:08001111"
    )
    await check_page(pat, axe, "crisis-09-help")
