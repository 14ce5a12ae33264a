"""Staff look after people: password-reset links, personal details; everyone can sign out
everywhere. Personal details never leave the node."""

from __future__ import annotations

import html as html_lib
import re

import aiohttp
from conftest import (
    PASSWORD,
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
)

from node import manage
from storage.models import Delivery, Person

NEW_PASSWORD = "kettle orbit lantern"


async def _person_id(node: TestNode, username: str) -> str:
    async with node.db.transaction() as s:
        rows = (await s.execute(Person.__table__.select())).all()
    return next(row.id for row in rows if row.username == username)


async def _clinic(start_node: StartNode, browser: BrowserFactory) -> tuple[TestNode, Browser, str]:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("dr-ahmed", "clinician")
    await a.add_user("river", "patient", "Willow")
    clinician = browser(a)
    await clinician.sign_in("dr-ahmed")
    return a, clinician, await _person_id(a, "river")


async def test_a_reset_link_sets_a_new_password_once_signs_out_everywhere_and_lifts_a_lock(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician, river_id = await _clinic(start_node, browser)
    old_session = browser(a)
    await old_session.sign_in("river")
    for _ in range(5):
        await browser(a).submit("/sign-in", "/sign-in", {"username": "river", "password": "x" * 12})
    status, page = await clinician.submit(
        f"/staff/people/{river_id}", f"/staff/people/{river_id}/reset", {}
    )
    assert status == 200
    link = html_lib.unescape(re.search(r'id="reset-link" href="([^"]+)"', page).group(1))
    path = link.removeprefix(a.url)
    token = path.split("token=")[1]
    river = browser(a)
    status, page = await river.submit(path, "/reset", {"token": token, "password": "password123"})
    assert status == 400 and "too easy to guess" in page
    status, page = await river.submit(path, "/reset", {"token": token, "password": NEW_PASSWORD})
    assert status == 200 and "Your password has been changed" in page
    _, page = await old_session.get("/")
    assert "Use the username and password" in page
    status, page = await browser(a).submit(
        "/sign-in", "/sign-in", {"username": "river", "password": PASSWORD}
    )
    assert status == 400
    await browser(a).sign_in("river", NEW_PASSWORD)
    status, page = await browser(a).get(path)
    assert status == 400 and "used already" in page


async def test_clinicians_cannot_reset_staff_and_patients_cannot_see_people(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician, _ = await _clinic(start_node, browser)
    await a.add_user("nurse-kim", "clinician")
    kim = await _person_id(a, "nurse-kim")
    status, _ = await clinician.get(f"/staff/people/{kim}")
    assert status == 404
    async with clinician.http.post(f"{a.url}/staff/people/{kim}/reset", data={}) as response:
        assert response.status == 403
    _, listing = await clinician.get("/staff/people")
    assert "Willow" in listing and "nurse-kim" not in listing
    river = browser(a)
    await river.sign_in("river")
    for path in ("/staff/people", f"/staff/people/{kim}"):
        status, _ = await river.get(path)
        assert status == 403


async def test_sign_out_of_all_devices_ends_every_session(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _, _ = await _clinic(start_node, browser)
    phone, laptop = browser(a), browser(a)
    await phone.sign_in("river")
    await laptop.sign_in("river")
    status, page = await phone.submit("/account", "/account/sign-out-everywhere", {})
    assert status == 200 and "Use the username and password" in page
    _, page = await laptop.get("/")
    assert "Use the username and password" in page


async def test_personal_details_are_checked_and_shown_only_to_staff(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician, river_id = await _clinic(start_node, browser)
    page_path = f"/staff/people/{river_id}"
    action = f"{page_path}/details"
    fields = {"real_name": "River Thompson", "email": "river@example.com", "phone": "01632 960 001"}
    status, page = await clinician.submit(
        page_path, action, {**fields, "nhs_number": "943 476 5918"}
    )
    assert status == 400 and "Enter a valid 10-digit NHS number" in page
    status, page = await clinician.submit(
        page_path, action, {**fields, "nhs_number": "943 476 5919"}
    )
    assert status == 200 and "River Thompson" in page and "9434765919" in page
    await a.add_user("admin-berks", "admin")
    admin = browser(a)
    await admin.sign_in("admin-berks")
    _, page = await admin.get(page_path)
    assert "River Thompson" in page and "Save personal details" not in page
    river = browser(a)
    await river.sign_in("river")
    for path in ("/", "/account", page_path):
        _, page = await river.get(path)
        assert "River Thompson" not in page and "9434765919" not in page


async def test_personal_details_never_leave_the_node(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    await peer_all(a, b)
    await a.add_user("dr-ahmed", "clinician")
    await a.add_user("river", "patient", "Willow")
    await b.add_user("alex", "carer", "Alex")
    carers = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "river")
    await manage.subnet_add(b.directory, carers, "alex")
    river_id = await _person_id(a, "river")
    clinician = browser(a)
    await clinician.sign_in("dr-ahmed")
    details = {
        "real_name": "River Thompson",
        "email": "river.t@example.com",
        "phone": "01632 960 001",
        "nhs_number": "9434765919",
    }
    status, _ = await clinician.submit(
        f"/staff/people/{river_id}", f"/staff/people/{river_id}/details", details
    )
    assert status == 200
    river = browser(a)
    await river.sign_in("river")
    await river.submit(
        f"/subnet?id={carers}", "/subnet/posts", {"subnet": carers, "content": "Hi all"}
    )

    alex = browser(b)
    await alex.sign_in("alex")
    page = ""

    async def shown_at_partner() -> bool:
        nonlocal page
        _, page = await alex.get(f"/subnet?id={carers}")
        return "Hi all" in page

    await eventually(shown_at_partner)
    assert "Willow" in page and "Hi all" in page
    async with aiohttp.ClientSession() as http:
        response = await b.signed_client(http).request(
            "GET",
            await manage.member_uri(a.directory, "river", carers),
            None,
            signer=f"{b.url}/actor",
            scheme="cavage",
        )
        actor = response.body.decode()
    assert response.status == 200 and "Willow" in actor
    async with a.db.transaction() as s:
        activities = repr(
            [row.activity for row in (await s.execute(Delivery.__table__.select())).all()]
        )
    seen_elsewhere = actor + activities + page + await b.all_rows_text()
    for value in (*details.values(), "01632960001", "river"):
        assert value not in seen_elsewhere.replace("/people/", ""), value


async def test_every_wrong_detail_is_listed_at_once_each_linked_to_its_field(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _a, clinician, river_id = await _clinic(start_node, browser)
    page_path = f"/staff/people/{river_id}"
    fields = {"real_name": "River", "email": "river@", "phone": "0770090098"}
    status, page = await clinician.submit(
        page_path, f"{page_path}/details", {**fields, "nhs_number": "943 476 5918"}
    )
    assert status == 400
    summary = page.split('class="nhsuk-error-summary', 1)[1].split("</div>", 2)[0]
    for field in ("email", "phone", "nhs_number"):
        assert f'href="#{field}"' in summary, field
    assert "Enter a UK phone number" in page
    status, page = await clinician.submit(
        page_path,
        f"{page_path}/details",
        {
            **fields,
            "email": "river@example.com",
            "phone": "07700 900982",
            "nhs_number": "943 476 5919",
        },
    )
    assert status == 200 and "nhsuk-notification-banner--success" in page
