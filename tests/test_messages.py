"""Messages with the care team, over real HTTP on real nodes: a patient or carer and the
clinicians of their trust write privately; a care-team message reaches every clinician on the
team; patients message each other only where a subnet switches it on; what worries screening
raises an alert and signposts; notices and unread counts; and nothing of it leaves the node."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from datetime import timedelta
from urllib.parse import quote

from conftest import (
    PASSWORD,
    Browser,
    BrowserFactory,
    MovableClock,
    StartNode,
    eventually,
    peer_all,
    share,
    write,
)
from markupsafe import escape
from sqlalchemy import select

from actors import messages
from node import manage
from node.app import SUPERVISOR
from node.cli import main
from storage.models import Alert, CareTeamMember, Conversation, Message, Notice

CRISIS = "I can't do this anymore, I want to end it tonight (marker M7Q3)"
CRISIS_SHOWN = str(escape(CRISIS))  # as a page shows it
TEAM_NOTE = "Could we move the Thursday appointment? (marker T5K2)"
REPLY = "Of course, how about Friday at 10? (marker R8W4)"
ONE_TO_ONE = "Just for you: the new tablets are helping (marker D2N6)"
PEER_NOTE = "Thanks for the chat in the group (marker P4H9)"
MARKERS = ("T5K2", "R8W4", "D2N6", "P4H9", "M7Q3")


async def person_id(node: object, username: str) -> str:
    uri: str = await node.person_uri(username)  # type: ignore[attr-defined]
    return uri.rsplit("/", 1)[-1]


async def add_to_team(clinician: Browser, patient_id: str, clinician_id: str) -> None:
    status, html = await clinician.submit(
        f"/staff/people/{patient_id}",
        f"/staff/people/{patient_id}/care-team",
        {"clinician": clinician_id, "change": "add"},
    )
    assert status == 200 and "Care team updated" in html, html[:400]


async def start(person: Browser, query: str, content: str) -> tuple[int, str]:
    """Write to someone from the new-message page the query names (which opens the
    conversation already held with them, if there is one)."""
    page_path = f"/messages/new?{query}"
    status, html = await person.get(page_path)
    if status != 200:
        return status, html
    held = re.search(r'<form method="post" action="(/messages/[0-9a-f]{32})" id="reply"', html)
    if held:
        return await person.submit(held.group(1), held.group(1), {"content": content})
    fields = dict(
        re.findall(r'<input type="hidden" name="(kind|with|subnet)" value="([^"]*)"', html)
    )
    return await person.submit(page_path, "/messages/new", {**fields, "content": content})


async def reply(person: Browser, conversation: str, content: str) -> tuple[int, str]:
    return await person.submit(conversation, conversation, {"content": content})


def conversation_links(html: str) -> list[str]:
    return re.findall(r'href="(/messages/[0-9a-f]{32})"', html)


async def test_a_patient_and_the_care_team_exchange_messages_that_never_leave_the_node(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("dr-bell", "clinician", "Dr Bell")
    await a.add_user("dr-cole", "clinician", "Dr Cole")
    await a.add_user("sam", "patient", "Sam")
    await b.add_user("alex", "carer", "Alex")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, subnet, "alex")
    sam, ahmed, bell, cole = browser(a), browser(a), browser(a), browser(a)
    await sam.sign_in("sam")
    for who, username in ((ahmed, "dr-ahmed"), (bell, "dr-bell"), (cole, "dr-cole")):
        await who.sign_in(username)
    sam_id = await person_id(a, "sam")
    ahmed_id, bell_id = await person_id(a, "dr-ahmed"), await person_id(a, "dr-bell")

    _, html = await sam.get("/messages")
    assert "We usually reply within 1 working day." in html
    assert "Your care team has not been set up yet" in html
    status, _ = await start(sam, "kind=team", TEAM_NOTE)
    assert status == 403  # nobody on the team yet

    await add_to_team(ahmed, sam_id, ahmed_id)  # herself
    await add_to_team(ahmed, sam_id, bell_id)  # a colleague
    _, html = await ahmed.get(f"/staff/people/{sam_id}")
    assert "Dr Ahmed (you)" in html and "Dr Bell" in html

    status, html = await start(sam, "kind=team", TEAM_NOTE)
    assert status == 200 and "Your message has been sent" in html and TEAM_NOTE in html
    for clinician in (ahmed, bell):
        _, html = await clinician.get("/messages")
        assert "Messages (1 unread)" in html and "Notices (1 new)" in html
        assert "Sam and their care team" in html and "1 unread" in html
        (link,) = conversation_links(html)
        _, html = await clinician.get(link)
        assert TEAM_NOTE in html and "New" in html
        _, html = await clinician.get("/messages")
        assert "Messages (1 unread)" not in html and "Notices (1 new)" not in html
    _, html = await cole.get("/messages")  # not on the team
    assert TEAM_NOTE not in html and not conversation_links(html)
    assert (await cole.get(link))[0] == 404

    status, html = await reply(ahmed, link, REPLY)
    assert status == 200 and REPLY in html
    _, html = await sam.get("/notices")
    assert "Dr Ahmed sent you a message." in html and f'href="{link}"' in html
    _, html = await sam.get("/messages")
    assert "Your care team" in html and "1 unread" in html
    _, html = await sam.get(link)
    assert REPLY in html and "Clinician" in html
    _, html = await bell.get(link)
    assert REPLY in html  # the whole team reads the team's replies

    status, html = await start(sam, f"kind=clinician&with={ahmed_id}", ONE_TO_ONE)
    assert status == 200 and ONE_TO_ONE in html
    _, html = await ahmed.get("/messages")
    assert "Messages (1 unread)" in html
    assert ONE_TO_ONE not in (await bell.get("/messages"))[1]
    links = conversation_links((await sam.get("/messages"))[1])
    private = [x for x in links if x != link]
    assert len(private) == 1 and (await bell.get(private[0]))[0] == 404
    status, html = await ahmed.get(private[0])
    assert status == 200 and ONE_TO_ONE in html

    await write(sam, subnet, "A post that does travel (marker V1S5)")

    async def post_reached_b() -> bool:
        return any(b"posts/" in sent.body for sent in a.sent)

    await eventually(post_reached_b)
    for sent in a.sent:
        assert "/messages" not in sent.url
        for marker in MARKERS:
            assert marker.encode() not in sent.body, (sent.url, marker)
    held_at_b = await b.all_rows_text()
    assert not any(marker in held_at_b for marker in MARKERS)


async def test_patients_message_each_other_only_where_a_subnet_switches_it_on(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "patient", "Sam")
    await a.add_user("kit", "carer", "Kit")
    await a.add_user("lee", "patient", "Lee")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_create(a.directory, "other", "Other")
    for username in ("sam", "kit"):
        await manage.subnet_add(a.directory, "carers", username)
    await manage.subnet_add(a.directory, "other", "lee")
    sam, kit, ahmed = browser(a), browser(a), browser(a)
    await sam.sign_in("sam")
    await kit.sign_in("kit")
    await ahmed.sign_in("dr-ahmed")
    kit_id, lee_id = await person_id(a, "kit"), await person_id(a, "lee")
    to_kit = f"kind=peer&with={kit_id}&subnet={quote(subnet, safe='')}"

    assert "Write to Kit" not in (await sam.get("/messages"))[1]
    assert (await sam.get(f"/messages/new?{to_kit}"))[0] == 403
    status, _ = await sam.submit(
        "/account",
        "/messages/new",
        {"kind": "peer", "with": kit_id, "subnet": subnet, "content": PEER_NOTE},
    )
    assert status == 403 and await a.count(Message) == 0

    argv = ["subnet", "policy", str(a.directory), "carers", "--peer-messages", "on"]
    assert await asyncio.to_thread(main, argv) == 0
    _, html = await sam.get("/messages")
    assert "Write to Kit" in html and "A member of Carers" in html and "Lee" not in html
    status, html = await start(sam, to_kit, PEER_NOTE)
    assert status == 200 and PEER_NOTE in html
    _, html = await kit.get("/messages")
    assert "Messages (1 unread)" in html and "Notices (1 new)" in html
    (link,) = conversation_links(html)
    assert PEER_NOTE in (await kit.get(link))[1]
    assert (await ahmed.get(link))[0] == 404  # a private conversation of two members
    to_lee = f"kind=peer&with={lee_id}&subnet={quote(subnet, safe='')}"
    assert (await sam.get(f"/messages/new?{to_lee}"))[0] == 403  # not in that subnet

    status, html = await reply(kit, link, CRISIS)  # still screened: held, alerted, signposted
    assert status == 200 and "Support is here if you need it" in html
    assert "only you and our team can see your message" in html
    assert CRISIS_SHOWN not in (await sam.get(link))[1]
    assert CRISIS_SHOWN in (await kit.get(link))[1]
    async with a.db.transaction() as s:
        (alert,) = (await s.scalars(select(Alert))).all()
    assert (alert.subject, alert.level, alert.held) == ("message", "urgent", True)
    status, html = await ahmed.submit(
        f"/staff/alerts/{alert.id}", f"/staff/alerts/{alert.id}", {"action": "release"}
    )
    assert status == 200
    assert CRISIS_SHOWN in (await sam.get(link))[1]

    await a.add_user("admin", "admin", "Ada")
    admin = browser(a)
    await admin.sign_in("admin")
    assert 'name="peer_messages" type="checkbox" checked' in (await admin.get("/admin"))[1]
    fields = {"slug": "carers", "posting": "all", "retention_days": "0", "numbers": "shown"}
    status, html = await admin.submit("/admin", "/admin/policy", fields)  # the box unticked
    assert status == 200 and "Policy saved" in html
    _, html = await sam.get(link)
    assert "Messages between these members are no longer switched on." in html
    status, html = await sam.submit("/account", link, {"content": "one more (marker P4H9)"})
    assert status == 400 and "no longer switched on" in html


async def test_a_crisis_message_alerts_the_team_and_shows_the_writer_support(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "patient", "Sam")
    sam, ahmed = browser(a), browser(a)
    await sam.sign_in("sam")
    await ahmed.sign_in("dr-ahmed")
    sam_id, ahmed_id = await person_id(a, "sam"), await person_id(a, "dr-ahmed")
    await add_to_team(ahmed, sam_id, ahmed_id)

    status, html = await start(sam, "kind=team", CRISIS)
    assert status == 200 and "Support is here if you need it" in html
    assert "Your message has reached your care team" in html and "116 123" in html
    assert "Back to your messages" in html
    _, html = await ahmed.get("/staff/alerts")
    assert "Alerts (1 new)" in html and "a private message" in html
    (alert_link,) = re.findall(r'href="(/staff/alerts/[0-9a-f]{32})"', html)
    _, html = await ahmed.get(alert_link)
    assert CRISIS_SHOWN in html and "Delivered: it stays at this trust" in html
    _, html = await ahmed.get("/messages")
    (link,) = conversation_links(html)
    assert CRISIS_SHOWN in (await ahmed.get(link))[1]  # delivered, not held
    _, html = await ahmed.get("/moderation/times")  # the alert waits outside any subnet
    assert "Not in a subnet (names people chose, private messages)" in html

    status, html = await start(sam, "kind=team", "Thank you, feeling calmer now")
    assert status == 200 and "Your message has been sent" in html  # no signposting


async def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "patient", "Sam")
    sam, ahmed = browser(a), browser(a)
    await sam.sign_in("sam")
    await ahmed.sign_in("dr-ahmed")
    sam_id, ahmed_id = await person_id(a, "sam"), await person_id(a, "dr-ahmed")
    async with ahmed.http.post(
        f"{a.url}/staff/people/{sam_id}/care-team", data={"clinician": ahmed_id}
    ) as response:
        assert response.status == 403
    assert await a.count(CareTeamMember) == 0
    await add_to_team(ahmed, sam_id, ahmed_id)
    async with sam.http.post(
        f"{a.url}/messages/new", data={"kind": "team", "content": TEAM_NOTE}
    ) as response:
        assert response.status == 403
    assert await a.count(Message) == 0 and await a.count(Conversation) == 0
    await start(sam, "kind=team", TEAM_NOTE)
    (link,) = conversation_links((await sam.get("/messages"))[1])
    async with ahmed.http.post(f"{a.url}{link}", data={"content": REPLY}) as response:
        assert response.status == 403
    async with sam.http.post(
        f"{a.url}/staff/messages/reply-time", data={"reply_time": "Whenever"}
    ) as response:
        assert response.status == 403
    assert await a.count(Message) == 1
    async with a.db.transaction() as s:
        kinds = (await s.scalars(select(Notice.kind))).all()
    assert list(kinds) == ["message"]
    status, html = await reply(sam, link, "   ")
    assert status == 400 and "Write your message before sending it." in html
    assert await a.count(Message) == 1


async def test_an_admin_words_the_reply_time_and_staff_see_reply_figures(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust")
    await a.add_user("admin", "admin", "Ada")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "carer", "Sam")
    admin, ahmed, sam = browser(a), browser(a), browser(a)
    await admin.sign_in("admin")
    await ahmed.sign_in("dr-ahmed")
    await sam.sign_in("sam")
    sam_id, ahmed_id = await person_id(a, "sam"), await person_id(a, "dr-ahmed")
    await add_to_team(ahmed, sam_id, ahmed_id)
    await start(sam, "kind=team", TEAM_NOTE)
    (link,) = conversation_links((await ahmed.get("/messages"))[1])
    await reply(ahmed, link, REPLY)

    status, _ = await ahmed.submit("/account", "/staff/messages/reply-time", {"reply_time": "Soon"})
    assert status == 403  # only an admin words it
    status, html = await admin.submit(
        "/staff/messages/times", "/staff/messages/reply-time", {"reply_time": ""}
    )
    assert status == 400 and "Write what people are told" in html
    wording = "We usually reply within 2 working days."
    status, html = await admin.submit(
        "/staff/messages/times", "/staff/messages/reply-time", {"reply_time": wording}
    )
    assert status == 200 and "Saved" in html
    assert wording in (await sam.get("/messages"))[1]
    assert wording in (await sam.get(link))[1]

    _, html = await ahmed.get("/staff/messages/times")
    assert "Messages to a care team" in html and "Median (hours)" in html
    assert (await sam.get("/staff/messages/times"))[0] == 403
    out = await asyncio.to_thread(_captured, ["messages", "times", str(a.directory)])
    assert out.startswith("Messages to a care team\t")
    assert "answered=1" in out


def _captured(argv: list[str]) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(argv) == 0
    return buffer.getvalue()


async def test_messages_are_in_your_data_and_go_with_an_erased_account(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "patient", "Sam")
    sam, ahmed = browser(a), browser(a)
    await sam.sign_in("sam")
    await ahmed.sign_in("dr-ahmed")
    sam_id, ahmed_id = await person_id(a, "sam"), await person_id(a, "dr-ahmed")
    await add_to_team(ahmed, sam_id, ahmed_id)
    await start(sam, "kind=team", TEAM_NOTE)
    (link,) = conversation_links((await ahmed.get("/messages"))[1])
    await reply(ahmed, link, REPLY)

    async with sam.http.get(f"{a.url}/account/data.json") as response:
        data = json.loads(await response.text())
    (conversation,) = data["messages"]
    assert conversation["with"] == "Your care team"
    assert [m["content"] for m in conversation["messages"]] == [TEAM_NOTE, REPLY]
    assert [m["from"] for m in conversation["messages"]] == ["you", "clinician"]

    status, _ = await sam.submit(
        "/account/erase", "/account/erase", {"confirm": "yes", "password": PASSWORD}
    )
    assert status == 200
    assert await a.count(Message) == 0 and await a.count(Conversation) == 0
    rows = await a.all_rows_text()
    assert "T5K2" not in rows and "R8W4" not in rows
    _, html = await ahmed.get("/messages")
    assert not conversation_links(html)


async def test_messages_past_the_nodes_retention_are_erased_with_their_alerts(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    clock = MovableClock()
    clock.advance(timedelta(days=-40))
    a = await start_node("Host Trust", clock=clock, message_retention_days=30)
    job = a.runner.app[SUPERVISOR].task("message retention")  # the server erases them too
    assert job is not None and not job.done()
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "patient", "Sam")
    assert await manage.care_team_add(a.directory, "sam", "dr-ahmed")
    sam = browser(a)
    await sam.sign_in("sam")
    status, html = await start(sam, "kind=team", CRISIS)  # 40 days ago
    assert status == 200 and "Support is here" in html
    clock.advance(timedelta(days=39))
    sam = browser(a)
    await sam.sign_in("sam")
    await start(sam, "kind=team", TEAM_NOTE)  # a day ago
    assert await a.count(Message) == 2 and await a.count(Alert) == 1

    async with a.db.transaction() as s:
        assert await messages.erase_expired(s, now=clock(), days=0) == 0  # 0 keeps them
    with (a.directory / "sharon.toml").open("a") as config:  # as the trust sets it
        config.write("message_retention_days = 30\n")
    assert await manage.retention_run(a.directory) == 1
    assert await a.count(Message) == 1 and await a.count(Alert) == 0
    rows = await a.all_rows_text()
    assert "M7Q3" not in rows and "T5K2" in rows
