"""Crisis screening at the author's home, over real HTTP between real nodes: a patient on B
writes in a subnet hosted on A. B screens, holds and alerts; A receives nothing until a
clinician on B releases the post. The author sees crisis support at once; B's clinicians see
the alert (text read at home, pseudonym linked to the person record) and act on it, audited."""

from __future__ import annotations

import re
from typing import Any

from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    shows,
    signed_get,
    subnet_path,
)
from sqlalchemy import select

from actors.retention import PolicyChange
from actors.screening import Screening
from node import manage
from storage.models import Alert, Audit, Event, InboxItem, Post, PostRef, RemoteActor

CRISIS = "I can't do this anymore, I want to end it tonight (marker K4Z9)"
BENIGN = "Had a good session with my therapist today (marker P2L8)"


async def _join_done(node: TestNode, n: int) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.execute(select(InboxItem))).scalars().all()
    return len([r for r in rows if r.state == "done" and r.activity["type"] == "Join"]) >= n


async def _two_trusts(start_node: StartNode, **settings: Any) -> tuple[TestNode, TestNode, str]:
    a, b = await start_node("Host Trust", **settings), await start_node("Home Trust", **settings)
    await peer_all(a, b)
    await a.add_user("sam", "patient", "Sam")
    await b.add_user("pat", "patient", "Pat")
    await b.add_user("robin", "patient", "Robin")
    await b.add_user("nurse-kim", "clinician", "Nurse Kim")
    await b.add_user("dr-lee", "clinician", "Dr Lee")
    await b.add_user("boss", "admin", "Boss")
    subnet = await manage.subnet_create(a.directory, "eating-disorders", "Eating disorders")
    await share(a, "eating-disorders", b)
    await manage.subnet_add(a.directory, "eating-disorders", "sam")
    await manage.subnet_add(b.directory, subnet, "pat")
    await manage.subnet_add(b.directory, subnet, "robin")
    await eventually(lambda: _join_done(a, 2))
    return a, b, subnet


async def _post(person, subnet: str, text: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return await person.submit(
        subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": text}
    )


async def _alert_id(node: TestNode, marker: str) -> str:
    async with node.db.transaction() as s:
        rows = (await s.execute(select(Alert, Post).join(Post, Post.id == Alert.post_id))).all()
    (found,) = [alert.id for alert, post in rows if marker in post.content]
    return found


async def _audited(node: TestNode) -> list[str]:
    async with node.db.transaction() as s:
        return [row.action for row in (await s.execute(select(Audit))).scalars()]


async def test_urgent_post_is_held_at_home_alerted_there_and_released_by_a_clinician(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet = await _two_trusts(start_node)
    sam, pat, robin, kim = browser(a), browser(b), browser(b), browser(b)
    for person, username in ((sam, "sam"), (pat, "pat"), (robin, "robin"), (kim, "nurse-kim")):
        await person.sign_in(username)

    status, html = await _post(pat, subnet, CRISIS)
    # The author's next page: support in words that neither shame nor alarm, big tel:/sms: links.
    assert status == 200 and "Support is here if you need it" in html
    assert "A member of the team will see this soon" in html
    for link in ('href="tel:116123"', 'href="tel:111"', 'href="sms:85258?body=SHOUT"'):
        assert link in html, link
    assert 'href="tel:999"' in html and "Childline" not in html  # an adults' subnet
    assert "algorithm" not in html.lower() and "flagged" not in html.lower()
    assert re.search(r"Our team is next online at|Someone from our team is online now", html)
    # The author sees their post, held, with a note; nobody else on A or B does.
    _, page = await pat.get(subnet_path(subnet))
    assert "K4Z9" in page and "Only you and our team can see this post for now" in page

    # A later, ordinary post reaches A: so A's silence about the first is not a delay.
    await _post(pat, subnet, BENIGN)
    await eventually(lambda: shows(sam, subnet, "P2L8"))
    assert not await shows(sam, subnet, "K4Z9")
    assert not await shows(robin, subnet, "K4Z9")
    assert "K4Z9" not in await a.all_rows_text()
    assert await a.count(PostRef) == 1
    crisis_uri = await b.post_uri(CRISIS)
    assert crisis_uri not in await a.all_rows_text()
    async with b.db.transaction() as s:
        events = (await s.execute(select(Event))).scalars().all()
        held = (await s.execute(select(Post).where(Post.content == CRISIS))).scalar_one()
    assert [e for e in events if e.payload.get("post_id") == held.id] == []
    assert (held.moderation_state, held.screening_level) == ("screened", "urgent")
    assert "suicidal_intent" in held.screening_categories and held.screening_score > 0.5
    assert not any(crisis_uri in sent.url or b"K4Z9" in sent.body for sent in b.sent)

    # B's clinician: the unread count in every staff page's title and header, then the alert.
    _, home = await kim.get("/")
    assert "<title>(1) " in home and "Alerts (1 new)" in home
    alert_id = await _alert_id(b, "K4Z9")
    _, board = await kim.get("/staff/alerts")
    assert "Urgent: Pat in Eating disorders" in board and "Suicidal intent or plan" in board
    _, one = await kim.get(f"/staff/alerts/{alert_id}")
    pat_id = (await b.person_uri("pat")).rsplit("/", 1)[1]
    assert "K4Z9" in one and f'href="/staff/people/{pat_id}"' in one
    _, record = await kim.get(f"/staff/people/{pat_id}")
    assert "Pat" in record

    form = f"/staff/alerts/{alert_id}"
    for fields in (
        {"action": "acknowledge"},
        {"action": "note", "note": "Rang Pat, safe for tonight"},
        {"action": "release"},
        {"action": "resolve", "outcome": "contacted"},
    ):
        status, html = await kim.submit(form, form, fields)
        assert status == 200, html[:300]
    assert "Rang Pat, safe for tonight" in html and "Contacted the person" in html
    _, home = await kim.get("/")
    assert "<title>(1) " not in home and "Alerts (" not in home

    # Released: recorded as a normal post, so A now announces it and Sam reads it live.
    await eventually(lambda: shows(sam, subnet, "K4Z9"))
    assert "K4Z9" not in await a.all_rows_text()
    actions = await _audited(b)
    for action in (
        "alert.raised",
        "alerts.listed",
        "alert.read",
        "alert.acknowledged",
        "alert.noted",
        "post.released",
        "alert.resolved.contacted",
    ):
        assert action in actions, action


async def test_bad_alert_actions_are_refused_and_change_nothing(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _a, b, subnet = await _two_trusts(start_node)
    pat, robin, kim, boss = browser(b), browser(b), browser(b), browser(b)
    for person, username in ((pat, "pat"), (robin, "robin"), (kim, "nurse-kim"), (boss, "boss")):
        await person.sign_in(username)
    await _post(pat, subnet, CRISIS)
    alert_id = await _alert_id(b, "K4Z9")
    form = f"/staff/alerts/{alert_id}"

    status, _ = await robin.get("/staff/alerts")
    assert status == 403
    status, _ = await robin.get(form)
    assert status == 403
    # An admin sees only escalated alerts (none yet) and may not act.
    status, _ = await boss.get(form)
    assert status == 404
    status, html = await kim.submit(form, form, {"action": "resolve", "outcome": "shrug"})
    assert status == 400 and "Choose what was done" in html
    status, html = await kim.submit(form, form, {"action": "note", "note": "   "})
    assert status == 400 and "Write the note" in html
    status, _ = await kim.get("/staff/alerts/no-such-alert")
    assert status == 404
    async with b.db.transaction() as s:
        alert = await s.get(Alert, alert_id)
    assert alert is not None and alert.state == "open" and alert.outcome is None
    # Another person's post gives nothing away on the support page.
    post_id = (await b.post_uri(CRISIS)).rsplit("/", 1)[1]
    status, _ = await robin.get(f"/support?post={post_id}")
    assert status == 404


async def test_on_duty_clinicians_see_alerts_and_others_do_not(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _a, b, subnet = await _two_trusts(start_node)
    pat, kim, lee = browser(b), browser(b), browser(b)
    for person, username in ((pat, "pat"), (kim, "nurse-kim"), (lee, "dr-lee")):
        await person.sign_in(username)
    status, _ = await kim.submit("/staff/alerts", "/staff/duty", {"on": "1"})
    assert status == 200
    await _post(pat, subnet, CRISIS)
    alert_id = await _alert_id(b, "K4Z9")
    _, board = await lee.get("/staff/alerts")
    assert "Colleagues are on duty" in board and "K4Z9" not in board
    assert "Alerts (" not in board
    status, _ = await lee.get(f"/staff/alerts/{alert_id}")
    assert status == 404
    _, board = await kim.get("/staff/alerts")
    assert "On duty: Nurse Kim" in board and "Urgent: Pat" in board
    # Nobody on duty: every clinician sees every alert again.
    await kim.submit("/staff/alerts", "/staff/duty", {"on": "0"})
    _, board = await lee.get("/staff/alerts")
    assert "Urgent: Pat" in board and "Alerts (1 new)" in board
    await kim.submit("/staff/alerts", "/staff/duty", {"on": "1"})
    _, support = await pat.get("/support")
    assert "Someone from our team is online now" in support
    assert {"duty.on", "duty.off"} <= set(await _audited(b))


async def test_concern_is_published_and_queued_but_held_where_the_audience_is_under_18(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet = await _two_trusts(start_node)
    sam, pat, kim = browser(a), browser(b), browser(b)
    for person, username in ((sam, "sam"), (pat, "pat"), (kim, "nurse-kim")):
        await person.sign_in(username)
    status, html = await _post(pat, subnet, "wish i could just disappear (marker C1N3)")
    assert status == 200 and "a member of the team may get in touch" in html
    await eventually(lambda: shows(sam, subnet, "C1N3"))
    _, board = await kim.get("/staff/alerts")
    assert "Concern: Pat" in board and "Passive ideation" in board

    # A's admin says the subnet is for under-18s: B learns it from the Group document.
    await manage.subnet_policy(a.directory, "eating-disorders", PolicyChange(audience="under_18"))

    async def b_knows() -> bool:
        async with b.db.transaction() as s:
            group = await s.get(RemoteActor, subnet)
        return group is not None and group.audience == "under_18" and group.hold_concern

    await eventually(b_knows, within=10)
    status, html = await _post(pat, subnet, "whats the point of me (marker H7T1)")
    assert "only you and our team can see your post" in html
    assert 'href="tel:08001111"' in html  # Childline for an under-18 audience
    await _post(pat, subnet, BENIGN)
    await eventually(lambda: shows(sam, subnet, "P2L8"))
    assert not await shows(sam, subnet, "H7T1")


async def test_an_edit_is_screened_too(start_node: StartNode, browser: BrowserFactory) -> None:
    a, b, subnet = await _two_trusts(start_node)
    sam, pat = browser(a), browser(b)
    await sam.sign_in("sam")
    await pat.sign_in("pat")
    await _post(pat, subnet, BENIGN)
    await eventually(lambda: shows(sam, subnet, "P2L8"))
    uri = await b.post_uri(BENIGN)
    status, html = await pat.submit(
        subnet_path(subnet), "/posts/edit", {"subnet": subnet, "object": uri, "content": CRISIS}
    )
    assert status == 200 and "A member of the team will see this soon" in html
    async with b.db.transaction() as s:
        post = await s.get(Post, uri.rsplit("/", 1)[1])
    assert post is not None and post.moderation_state == "screened"
    # A's next fetch of it is refused at home (its cached copy, if any, lapses with the TTL).
    status, _ = await signed_get(a, uri)
    assert status == 404


class EverythingWorries:
    """A stand-in for the trained model: every text is a concern about pro-ED talk."""

    def screen(self, text: str) -> Screening:
        return Screening("concern", ("pro_ed",), 0.61)


async def test_the_node_screens_with_the_screener_it_was_built_with(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    node = await start_node("Own Model Trust", screener=EverythingWorries())
    await node.add_user("pat", "patient", "Pat")
    await node.add_user("nurse-kim", "clinician", "Nurse Kim")
    subnet = await manage.subnet_create(node.directory, "carers", "Carers")
    await manage.subnet_add(node.directory, "carers", "pat")
    pat, kim = browser(node), browser(node)
    await pat.sign_in("pat")
    await kim.sign_in("nurse-kim")
    status, html = await _post(pat, subnet, "Lovely weather for the walk today")
    assert status == 200 and "a member of the team may get in touch" in html
    async with node.db.transaction() as s:
        post = (await s.execute(select(Post))).scalar_one()
    assert (post.screening_level, post.screening_categories, post.screening_score) == (
        "concern",
        ["pro_ed"],
        0.61,
    )
    _, board = await kim.get("/staff/alerts")
    assert "Concern: Pat in Carers" in board and "Pro-eating-disorder encouragement" in board


async def test_keep_then_release_follows_the_subnets_own_premoderation(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    node = await start_node("One Trust")
    await node.add_user("pat", "patient", "Pat")
    await node.add_user("nurse-kim", "clinician", "Nurse Kim")
    subnet = await manage.subnet_create(node.directory, "perinatal", "Perinatal")
    await manage.subnet_policy(node.directory, "perinatal", PolicyChange(premoderation=True))
    await manage.subnet_add(node.directory, "perinatal", "pat")
    pat, kim = browser(node), browser(node)
    await pat.sign_in("pat")
    await kim.sign_in("nurse-kim")
    await _post(pat, subnet, CRISIS)
    alert_id = await _alert_id(node, "K4Z9")
    form = f"/staff/alerts/{alert_id}"

    async def state() -> str:
        async with node.db.transaction() as s:
            return (await s.execute(select(Post))).scalar_one().moderation_state

    status, html = await kim.submit(form, form, {"action": "keep"})
    assert status == 200 and await state() == "screened"
    assert "Held: only its author and this trust" in html
    status, _ = await kim.submit(form, form, {"action": "release"})
    assert status == 200 and await state() == "held"  # now waits for pre-moderation, as any post
    status, html = await kim.submit(form, form, {"action": "release"})
    assert status == 400 and "This post is not held" in html
    assert {"post.kept", "post.released"} <= set(await _audited(node))
