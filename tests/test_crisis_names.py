"""Names people choose are text others read, so they are screened at home like posts (issue 10,
"every later text that other people read"): a flagged name is not applied anywhere, the person
sees crisis support at once, their trust is alerted, and a clinician may apply it after all."""

from __future__ import annotations

from conftest import BrowserFactory, StartNode, eventually, shows, subnet_path
from sqlalchemy import select
from test_crisis_alerts import _post, _two_trusts
from test_invitations import _clinic, invite, join

from storage.models import Alert, Person


async def test_a_crisis_pseudonym_stays_unused_until_a_clinician_applies_it(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet = await _two_trusts(start_node)
    sam, pat, kim = browser(a), browser(b), browser(b)
    await sam.sign_in("sam")
    await pat.sign_in("pat")
    await kim.sign_in("nurse-kim")
    status, page = await pat.submit(
        "/account", "/account/profile", {"pseudonym": "cant see a way out", "avatar": ""}
    )
    assert status == 200 and "Support is here" in page and "116 123" in page
    assert "others still see your usual name" in page
    async with b.db.transaction() as s:
        (alert,) = (await s.execute(select(Alert))).scalars().all()
        (pat_row,) = (await s.execute(select(Person).where(Person.username == "pat"))).scalars()
    assert (alert.subject, alert.post_id, alert.held) == ("name", None, True)
    assert pat_row.pseudonym == "Pat"

    _, board = await kim.get("/staff/alerts")
    assert "Name held" in board and "Alerts (1 new)" in board
    _, shown = await kim.get(f"/staff/alerts/{alert.id}")
    assert "cant see a way out" in shown and "Use the name they chose" in shown

    await _post(pat, subnet, "Morning all (marker NM1)")
    await eventually(lambda: shows(sam, subnet, "marker NM1"))
    _, read_on_a = await sam.get(subnet_path(subnet))
    assert "cant see a way out" not in read_on_a and "Pat" in read_on_a

    status, _ = await kim.submit(
        f"/staff/alerts/{alert.id}", f"/staff/alerts/{alert.id}", {"action": "release"}
    )
    assert status == 200
    async with b.db.transaction() as s:
        (pat_row,) = (await s.execute(select(Person).where(Person.username == "pat"))).scalars()
    assert pat_row.pseudonym == "cant see a way out"


async def test_an_everyday_pseudonym_is_saved_with_no_alert(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _a, b, subnet = await _two_trusts(start_node)
    pat = browser(b)
    await pat.sign_in("pat")
    status, page = await pat.submit(
        subnet_path(subnet), "/subnet/pseudonym", {"subnet": subnet, "pseudonym": "River walker"}
    )
    assert status == 200 and "Support is here" not in page
    assert await b.count(Alert) == 0


async def test_joining_with_a_crisis_pseudonym_shows_support_and_uses_a_stand_in(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician = await _clinic(start_node, browser)
    link, _ = await invite(clinician)
    river = browser(a)
    status, page = await join(river, link, "river", "unalive myself tonight")
    assert status == 200 and "Support is here" in page and "116 123" in page
    async with a.db.transaction() as s:
        (person,) = (await s.execute(select(Person).where(Person.username == "river"))).scalars()
        (alert,) = (await s.execute(select(Alert))).scalars().all()
    assert person.pseudonym == "New member"
    assert (alert.subject, alert.level, alert.text) == ("name", "urgent", "unalive myself tonight")
    _, board = await clinician.get("/staff/alerts")
    assert "Name held" in board
