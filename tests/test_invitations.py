"""Invitations through the web UI: a clinician invites, the invitee joins with a pseudonym."""

from __future__ import annotations

import html as html_lib
import re

from conftest import Browser, BrowserFactory, StartNode, TestNode

from node import manage
from storage.models import Invitation, Membership, Person

NEW_PASSWORD = "kettle orbit lantern"


async def _clinic(start_node: StartNode, browser: BrowserFactory) -> tuple[TestNode, Browser]:
    """A node with two subnets; clinician dr-ahmed is in "carers" only, and signed in."""
    a = await start_node("Berkshire Healthcare")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await manage.subnet_create(a.directory, "veterans", "Veterans")
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    clinician = browser(a)
    await clinician.sign_in("dr-ahmed")
    return a, clinician


async def invite(
    clinician: Browser, role: str = "patient", real_name: str = "", subnets: tuple = ("carers",)
) -> tuple[str, str]:
    """Create an invitation through the staff page; returns (link path, code)."""
    fields = [("role", role), ("real_name", real_name)] + [("subnets", s) for s in subnets]
    status, page = await clinician.submit_pairs(
        "/staff/invitations/new", "/staff/invitations/new", fields
    )
    assert status == 200 and "Invitation created" in page, page[:2000]
    link = html_lib.unescape(re.search(r'id="invitation-link" href="([^"]+)"', page).group(1))
    code = re.search(r'id="invitation-code"[^>]*>([A-Z0-9-]+)<', page).group(1)
    return link.split("127.0.0.1", 1)[1].split("/", 1)[1], code


async def join(
    browser: Browser, link: str, username: str, pseudonym: str, password: str = NEW_PASSWORD
) -> tuple[int, str]:
    """Fill in the join page reached from an invitation link."""
    fields = {"token": link.split("token=")[1], "username": username, "pseudonym": pseudonym}
    return await browser.submit("/" + link, "/join", {**fields, "password": password})


async def test_patient_joins_from_the_link_and_lands_in_the_named_subnet(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician = await _clinic(start_node, browser)
    link, _ = await invite(clinician)
    river = browser(a)
    status, page = await river.get("/" + link)
    assert status == 200 and "Carers across the Thames Valley" in page
    status, page = await join(river, link, "river", "Willow")
    assert status == 200 and "My subnets" in page and "Carers across the Thames Valley" in page
    assert "Veterans" not in page and "Willow" in page
    _, listing = await clinician.get("/staff/invitations")
    assert "Used" in listing and "Open" not in listing
    status, page = await browser(a).get("/" + link)
    assert status == 400 and "already been used" in page


async def test_the_code_read_out_on_the_phone_works_in_any_case_with_spaces(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician = await _clinic(start_node, browser)
    _, code = await invite(clinician, role="carer")
    spoken = " ".join(code.replace("-", "").lower())
    status, page = await browser(a).submit(
        "/join",
        "/join",
        {"code": spoken, "username": "sam", "pseudonym": "Sunny", "password": NEW_PASSWORD},
    )
    assert status == 200 and "Carers across the Thames Valley" in page


async def test_a_pseudonym_that_is_the_real_name_is_refused_and_nothing_is_written(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician = await _clinic(start_node, browser)
    link, _ = await invite(clinician, real_name="River Thompson")
    people_before = await a.count(Person)
    cases = [
        ("river t", NEW_PASSWORD, "not your real name"),
        ("Willow 07700900123", NEW_PASSWORD, "must not contain long numbers"),
        ("Willow", "password123", "too easy to guess"),
        ("Willow", "short", "at least 10 characters"),
    ]
    for pseudonym, password, message in cases:
        status, page = await join(browser(a), link, "river", pseudonym, password)
        assert status == 400 and "There is a problem" in page and message in page
    assert await a.count(Person) == people_before
    assert await a.count(Membership) == 1
    _, listing = await clinician.get("/staff/invitations")
    assert "Open" in listing
    assert "River Thompson" not in listing


async def test_a_wrong_code_is_explained_and_guessing_is_throttled(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _ = await _clinic(start_node, browser)
    guesser = browser(a)
    fields = {"code": "AAAA-AAAA", "username": "x1", "pseudonym": "Xy", "password": NEW_PASSWORD}
    status, page = await guesser.submit("/join", "/join", fields)
    assert status == 400 and "code is not right" in page
    for _ in range(29):
        await guesser.submit("/join", "/join", fields)
    status, page = await guesser.submit("/join", "/join", fields)
    assert status == 400 and "Too many attempts" in page


async def test_revoked_invitation_no_longer_works(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician = await _clinic(start_node, browser)
    link, _ = await invite(clinician)
    async with a.db.transaction() as s:
        (invitation,) = (await s.execute(Invitation.__table__.select())).all()
    status, _ = await clinician.submit(
        f"/staff/invitations/revoke?invitation={invitation.id}",
        "/staff/invitations/revoke",
        {"invitation": invitation.id},
    )
    assert status == 200
    _, listing = await clinician.get("/staff/invitations")
    assert "Revoked" in listing
    status, page = await browser(a).get("/" + link)
    assert status == 400 and "withdrawn" in page


async def test_a_professional_joins_only_the_subnet_named_for_them(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician = await _clinic(start_node, browser)
    await manage.subnet_add(a.directory, "veterans", "dr-ahmed")
    link, _ = await invite(clinician, role="professional", subnets=("veterans",))
    status, page = await join(browser(a), link, "pc-jones", "Schools liaison")
    assert status == 200 and "Veterans" in page and "Carers across" not in page


async def test_clinicians_invite_only_into_their_own_subnets_and_never_staff(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician = await _clinic(start_node, browser)
    for fields, message in [
        ([("role", "patient"), ("subnets", "veterans")], "only invite people into subnets"),
        ([("role", "clinician"), ("subnets", "carers")], "cannot invite someone as clinician"),
        ([("role", "patient")], "Choose at least one subnet"),
        ([("subnets", "carers")], "Choose who you are inviting"),
    ]:
        status, page = await clinician.submit_pairs(
            "/staff/invitations/new", "/staff/invitations/new", fields
        )
        assert status == 400 and message in page, message
    assert await a.count(Invitation) == 0


async def test_patients_cannot_open_the_staff_pages(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _ = await _clinic(start_node, browser)
    await a.add_user("river", "patient")
    river = browser(a)
    await river.sign_in("river")
    status, _ = await river.get("/staff/invitations")
    assert status == 403
    assert "Invitations" not in (await river.get("/"))[1]


async def test_a_clinician_invited_by_an_admin_must_set_up_two_step_sign_in_first(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("admin-berks", "admin")
    await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    admin = browser(a)
    await admin.sign_in("admin-berks")
    link, _ = await invite(admin, role="clinician")
    newcomer = browser(a)
    status, page = await join(newcomer, link, "nurse-kim", "Nurse Kim")
    assert status == 200 and "Set up your authenticator app" in page
    assert "My subnets" not in (await newcomer.get("/"))[1]


async def test_every_problem_with_the_join_form_is_listed_at_once(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician = await _clinic(start_node, browser)
    link, _ = await invite(clinician)
    status, page = await join(browser(a), link, "River Bank!", "Willow 07700900123", "short")
    assert status == 400
    summary = page.split('class="nhsuk-error-summary', 1)[1].split("</ul>", 1)[0]
    for field in ("username", "pseudonym", "password"):
        assert f'href="#{field}"' in summary, field
    assert await a.count(Person) == 1  # the clinician alone
