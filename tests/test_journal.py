"""The journal over real HTTP: private by default (nobody else, not even a clinician, can open
an entry); an entry shared with the person's clinicians is read by a clinician of their home
trust on the person's page, and screened like a post (an alert, and crisis support for the
person); a private entry raises nothing for staff, though its writer is still shown support.
The mood chart is SVG drawn here with a title, a description and a table of the same figures.
Entries never leave the node, and go with the account."""

from __future__ import annotations

import json
import re

from conftest import (
    PASSWORD,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    write,
)
from sqlalchemy import select

from node import manage
from storage.models import Alert, Audit, JournalEntry, Person

CRISIS = "I can't do this anymore, I want to end it tonight (marker J7Q2)"
PRIVATE_CRISIS = "I want to end it tonight, nobody would notice (marker J3W8)"
PRIVATE = "Slept badly again, work is a lot (marker J1P4)"


async def _entry_id(node: TestNode, marker: str) -> str:
    async with node.db.transaction() as s:
        rows = (await s.execute(select(JournalEntry))).scalars().all()
    (found,) = [row.id for row in rows if marker in row.text]
    return found


async def _person_id(node: TestNode, username: str) -> str:
    return (await node.person_uri(username)).rsplit("/", 1)[1]


async def _alerts(node: TestNode) -> list[Alert]:
    async with node.db.transaction() as s:
        return list((await s.execute(select(Alert))).scalars().all())


async def _journal(browser: BrowserFactory, node: TestNode, username: str):  # type: ignore[no-untyped-def]
    person = browser(node)
    await person.sign_in(username)
    return person


async def test_a_journal_is_private_by_default_and_shared_entries_reach_home_clinicians_screened(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Home Trust")
    for username, role in (
        ("pat", "patient"),
        ("robin", "patient"),
        ("dr-lee", "clinician"),
        ("boss", "admin"),
    ):
        await a.add_user(username, role, username.title())
    pat = await _journal(browser, a, "pat")
    robin = await _journal(browser, a, "robin")
    lee = await _journal(browser, a, "dr-lee")
    boss = await _journal(browser, a, "boss")
    pat_id = await _person_id(a, "pat")

    status, html = await pat.submit(
        "/journal", "/journal", {"text": PRIVATE, "mood": "2", "tags": "sleep, Work, sleep"}
    )
    assert status == 200 and "Saved in your journal: only you can read it" in html
    assert "J1P4" in html and "Only you" in html
    private_id = await _entry_id(a, "J1P4")
    async with a.db.transaction() as s:
        entry = await s.get(JournalEntry, private_id)
    assert entry is not None and entry.tags == ["sleep", "Work"] and entry.shared_at is None

    for other in (robin, lee, boss):
        for path in (f"/journal/{private_id}", f"/journal/{private_id}/delete"):
            status, page = await other.get(path)
            assert status == 404 and "J1P4" not in page, path
        status, _ = await other.submit("/account", f"/journal/{private_id}/share", {"share": "yes"})
        assert status == 404
    status, page = await lee.get(f"/staff/people/{pat_id}")
    assert status == 200 and "J1P4" not in page and "has not shared any journal entry" in page
    status, _ = await lee.get("/journal")
    assert status == 403  # staff keep no journal here

    # Crisis words in a private entry: the writer is shown support; staff are told nothing.
    status, html = await pat.submit("/journal", "/journal", {"text": PRIVATE_CRISIS})
    assert status == 200 and "Support is here if you need it" in html
    assert "only you can see it" in html and "Samaritans" in html
    async with a.db.transaction() as s:
        entry = await s.get(JournalEntry, await _entry_id(a, "J3W8"))
    assert entry is not None and entry.screening_level == "none"
    assert await _alerts(a) == []

    # Shared with the clinicians: screened, an alert for the trust, support for the writer.
    status, html = await pat.submit(
        "/journal", "/journal", {"text": CRISIS, "mood": "1", "share": "yes"}
    )
    assert status == 200 and "Support is here if you need it" in html
    assert "Your clinicians at Home Trust can read this entry" in html
    shared_id = await _entry_id(a, "J7Q2")
    (alert,) = await _alerts(a)
    assert alert.subject == "journal" and alert.level == "urgent" and not alert.held
    assert alert.journal_entry_id == shared_id and alert.post_id is None

    status, page = await lee.get(f"/staff/people/{pat_id}")
    assert status == 200 and "J7Q2" in page and "Urgent alert raised" in page
    assert "J1P4" not in page and "J3W8" not in page
    status, page = await lee.get("/staff/alerts")
    assert status == 200 and "Urgent: Pat in their journal, shared with clinicians" in page
    status, page = await lee.get(f"/staff/alerts/{alert.id}")
    assert status == 200 and "J7Q2" in page and "Shared with this trust" in page
    status, page = await boss.get(f"/staff/people/{pat_id}")
    assert status == 200 and "J7Q2" not in page  # an admin is not one of their clinicians
    async with a.db.transaction() as s:
        reads = [
            row
            for row in (await s.execute(select(Audit))).scalars()
            if row.action == "journal.read"
        ]
    assert [row.who for row in reads] == [await a.person_uri("dr-lee")]

    # Sharing an existing entry later screens it then; stopping hides it from staff again.
    status, html = await pat.submit("/journal", f"/journal/{private_id}/share", {"share": "yes"})
    assert status == 200 and "Saved and shared with your clinicians" in html
    status, page = await lee.get(f"/staff/people/{pat_id}")
    assert "J1P4" in page
    status, html = await pat.submit("/journal", f"/journal/{shared_id}/share", {"share": "no"})
    assert status == 200 and "Only you can read this entry now" in html
    status, page = await lee.get(f"/staff/people/{pat_id}")
    assert "J7Q2" not in page and "J1P4" in page
    status, page = await lee.get(f"/staff/alerts/{alert.id}")
    assert "J7Q2" not in page and "Made private again by its author" in page

    # Editing and deleting one's own entries.
    status, page = await pat.get(f"/journal/{private_id}")
    assert status == 200 and "J1P4" in page and "Edit your entry" in page
    status, html = await pat.submit(
        f"/journal/{private_id}",
        f"/journal/{private_id}",
        {"text": "Slept better (marker J1P5)", "mood": "4", "tags": "sleep", "share": "yes"},
    )
    assert status == 200 and "J1P5" in html and "J1P4" not in html
    status, html = await pat.submit(
        f"/journal/{shared_id}/delete", f"/journal/{shared_id}/delete", {}
    )
    assert status == 200 and "Entry deleted" in html and "J7Q2" not in html
    assert "J7Q2" not in await a.all_rows_text()
    status, page = await lee.get(f"/staff/alerts/{alert.id}")
    assert status == 200 and "Deleted by its author" in page


async def test_bad_entries_are_refused_all_at_once_and_nothing_is_kept(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Home Trust")
    await a.add_user("pat", "patient", "Pat")
    pat = await _journal(browser, a, "pat")
    status, html = await pat.submit(
        "/journal",
        "/journal",
        {"text": "   ", "mood": "7", "tags": ",".join("t" * 31 for _ in "ab")},
    )
    assert status == 400 and "There is a problem" in html
    for message in ("Write something in your entry", "Choose a mood from 1", "at most 30"):
        assert message in html, message
    assert await a.count(JournalEntry) == 0


async def test_mood_over_time_is_an_accessible_svg_with_a_table_of_the_same_figures(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Home Trust")
    await a.add_user("pat", "patient", "Pat")
    pat = await _journal(browser, a, "pat")
    for mood, words in (("1", "low day"), ("3", "steadier"), ("5", "good walk")):
        status, _ = await pat.submit("/journal", "/journal", {"text": words, "mood": mood})
        assert status == 200
    status, html = await pat.get("/journal")
    assert status == 200
    (svg,) = re.findall(r'<svg[^>]*class="sharon-chart".*?</svg>', html, flags=re.S)
    assert 'role="img"' in svg and 'aria-labelledby="mood-title"' in svg
    assert re.search(r'<title id="mood-title">Your mood over time</title>', svg)
    desc = re.search(r'<desc id="mood-desc">([^<]*)</desc>', svg)
    assert desc and "3 moods" in desc.group(1) and "latest 5" in desc.group(1)
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    table = html[html.index("Each mood, oldest first") :]
    cells = re.findall(r"<td class=\"nhsuk-table__cell\">(\d: [A-Za-z ]+)</td>", table)
    assert cells == ["1: Very low", "3: Okay", "5: Very good"]
    status, html = await pat.get("/journal?tag=nothing")
    assert status == 200 and "No entry has that tag" in html


async def test_journal_entries_never_leave_the_node_and_go_with_the_account(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Home Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await a.add_user("pat", "patient", "Pat")
    await a.add_user("dr-lee", "clinician", "Dr Lee")
    await b.add_user("alex", "carer", "Alex")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "pat")
    await manage.subnet_add(b.directory, subnet, "alex")
    pat = await _journal(browser, a, "pat")
    status, _ = await pat.submit(
        "/journal", "/journal", {"text": "Shared thought (marker J9S1)", "share": "yes"}
    )
    assert status == 200
    status, _ = await pat.submit("/journal", "/journal", {"text": "Own thought (marker J9S2)"})
    assert status == 200
    await write(pat, subnet, "A post everyone may read (marker J9S3)")
    alex = await _journal(browser, b, "alex")

    async def read_at_b() -> bool:
        _, page = await alex.get(f"/subnet?id={subnet}")
        return "J9S3" in page

    await eventually(read_at_b)
    assert "J9S" not in (await b.all_rows_text()).replace("J9S3", "")
    assert not any(b"J9S1" in sent.body or b"J9S2" in sent.body for sent in a.sent)

    status, body = await pat.get("/account/data.json")
    exported = json.loads(body)["journal"]
    assert status == 200 and sorted(e["text"] for e in exported) == [
        "Own thought (marker J9S2)",
        "Shared thought (marker J9S1)",
    ]
    assert [bool(e["shared_with_clinicians"]) for e in exported].count(True) == 1
    status, html = await pat.submit(
        "/account/erase", "/account/erase", {"confirm": "yes", "password": PASSWORD}
    )
    assert status == 200, html[:300]
    assert await a.count(JournalEntry) == 0
    async with a.db.transaction() as s:
        assert (await s.execute(select(Person).where(Person.username == "pat"))).first() is None
    assert "J9S1" not in await a.all_rows_text() and "J9S2" not in await a.all_rows_text()
