"""First Step subnets: marked by the CLI or the admin's form (audited), assigned by a clinician
to people in their care (only to First Step subnets they look after), landing a person on What
happens next once; a partner's member reads What happens next through their own node."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import BrowserFactory, StartNode, carers_pair
from sqlalchemy import select

from node import manage
from node.cli import main
from storage.models import Audit, FirstStep


def test_the_cli_marks_a_subnet_first_step_with_what_happens_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = tmp_path / "node"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    main(["subnet", "create", str(node), "waiting", "--name", "Waiting"])
    policy = ["subnet", "policy", str(node), "waiting"]
    assert main([*policy, "--first-step", "on", "--expected-wait", "About 6 weeks"]) == 0
    assert "first_step=on" in capsys.readouterr().out
    assert main([*policy, "--first-step", "off"]) == 0
    assert "first_step=off" in capsys.readouterr().out


async def test_admin_form_clinician_assigns_and_the_person_lands_once(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust")
    for username, role in (("admin", "admin"), ("dr-ahmed", "clinician"), ("sam", "patient")):
        await a.add_user(username, role, username.title())
    await manage.subnet_create(a.directory, "waiting", "Waiting well")
    await manage.subnet_create(a.directory, "elsewhere", "Somewhere else")
    await manage.subnet_add(a.directory, "waiting", "dr-ahmed")
    await manage.subnet_add(a.directory, "elsewhere", "dr-ahmed")
    admin, dr, sam = browser(a), browser(a), browser(a)
    for who, name in ((admin, "admin"), (dr, "dr-ahmed"), (sam, "sam")):
        await who.sign_in(name)

    form = "/admin/subnets/waiting/first-step"
    texts = {"service": "ED service", "address": "1 High St", "what_to_expect": "A talk"}
    status, html = await admin.submit(
        form, form, {"first_step": "on", **texts, "expected_wait": "\x07"}
    )
    assert status == 400 and "The expected wait" in html
    async with a.db.transaction() as s:
        assert (await s.scalars(select(FirstStep))).all() == []
    status, _ = await admin.submit(
        form, form, {"first_step": "on", **texts, "expected_wait": "6 weeks"}
    )
    assert status == 200
    assert (await dr.get(form))[0] == 403  # admins only

    _, people = await dr.get("/staff/people")
    person_id = people.split('href="/staff/people/', 1)[1].split('"', 1)[0]
    assign = f"/staff/people/{person_id}/first-step"
    status, html = await dr.submit(assign, assign, {"subnet": "elsewhere"})
    assert status == 400 and "Choose one of the First Step subnets" in html
    assert (await sam.get("/"))[1].count("Waiting well") == 0
    status, _ = await dr.submit(assign, assign, {"subnet": "waiting"})
    assert status == 200

    subnet = f"{a.url}/subnets/waiting"
    status, html = await sam.get(f"/subnet?id={quote(subnet, safe='')}")
    assert status == 200 and "What happens next" in html and "6 weeks" in html
    status, html = await sam.get(f"/subnet?id={quote(subnet, safe='')}&welcome=done")
    assert status == 200 and "Write a post" in html
    status, html = await sam.get(f"/subnet?id={quote(subnet, safe='')}")
    assert "Write a post" in html  # only the first time
    status, html = await dr.get(f"/subnet?id={quote(subnet, safe='')}")
    assert "Write a post" in html  # staff go straight to the discussion

    async with a.db.transaction() as s:
        actions = [row.action for row in (await s.scalars(select(Audit))).all()]
    assert "subnet.first_step_on" in actions and "first_step.assigned" in actions


async def test_a_partner_member_reads_what_happens_next_through_their_node(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, _, alex = await carers_pair(start_node, browser)
    await manage.subnet_first_step(
        a.directory, "carers", True, {"service": "Carers' service", "expected_wait": "2 weeks"}
    )
    status, html = await alex.get(f"/subnet?id={quote(subnet, safe='')}")  # lands first
    assert status == 200 and "2 weeks" in html and "Carers&#39; service" in html
    status, html = await alex.get(f"/subnet?id={quote(subnet, safe='')}&welcome=done")
    assert "Write a post" in html
    status, html = await alex.get(f"/subnet?id={quote(subnet, safe='')}")
    assert "Write a post" in html
    assert "2 weeks" not in await b.all_rows_text()
