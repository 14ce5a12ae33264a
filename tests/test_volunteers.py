"""Volunteers over real HTTP between real nodes: added with `sharon user add --role volunteer`
or invited by a clinician into the subnets named for them alone; their posts carry a
"Volunteer" tag at home and at a partner trust (readers deserve to know), as staff posts carry
theirs, and nothing else of their role leaves home."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from conftest import (
    PASSWORD,
    BrowserFactory,
    StartNode,
    eventually,
    host_and_partner,
    shows,
    signed_get,
    subnet_path,
    write,
)
from sqlalchemy import select
from test_invitations import _clinic, invite, join

from node.cli import main
from storage.models import Person

VOLUNTEER_TAG = re.compile(r'nhsuk-tag--blue">\s*Volunteer\s*</strong>')


async def test_a_volunteer_is_added_by_the_cli_and_invited_into_named_subnets_only(
    start_node: StartNode, browser: BrowserFactory, tmp_path: Path
) -> None:
    a, clinician = await _clinic(start_node, browser)
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n")
    argv = ["user", "add", str(a.directory), "kit", "--role", "volunteer"]
    assert await asyncio.to_thread(main, [*argv, "--password-file", str(password)]) == 0
    async with a.db.transaction() as s:
        kit = (await s.execute(select(Person).where(Person.username == "kit"))).scalar_one()
    assert kit.role == "volunteer" and kit.totp_secret is None

    status, page = await clinician.get("/staff/invitations/new")
    assert status == 200 and "A charity&#39;s trained volunteer" in page
    link, _ = await invite(clinician, role="volunteer", subnets=("carers",))
    status, page = await join(browser(a), link, "robin-v", "Robin from the charity")
    assert status == 200 and "Carers across the Thames Valley" in page and "Veterans" not in page
    status, page = await clinician.get("/staff/people")
    assert status == 200 and "Robin from the charity" in page and "Volunteer" in page


async def test_a_volunteers_posts_carry_the_volunteer_tag_at_home_and_at_the_partner(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await b.add_user("kit", "volunteer", "Kit")
    kim = people["nurse-kim"]
    status, _ = await kim.submit(
        subnet_path(subnet), "/moderate", {"subnet": subnet, "action": "add", "username": "kit"}
    )
    assert status == 200
    kit_uri = await b.member_uri("kit", subnet)

    async def heard() -> bool:
        return await a.members_in(subnet) == 4

    await eventually(heard)
    kit = browser(b)
    await kit.sign_in("kit")
    await write(kit, subnet, "The charity's drop-in is open on Saturdays (marker V0L1)")
    sam = people["sam"]  # at the subnet's home, Host Trust: the post is fetched from B
    await eventually(lambda: shows(sam, subnet, "marker V0L1"))
    for reader in (sam, kit, kim):
        _, html = await reader.get(subnet_path(subnet))
        (card,) = [c for c in html.split('<li class="nhsuk-card')[1:] if "V0L1" in c]
        assert VOLUNTEER_TAG.search(card), card[:800]

    status, body = await signed_get(a, kit_uri)
    assert status == 200 and json.loads(body)["staffRole"] == "Volunteer"
    assert "volunteer" not in body.decode()  # the tag, never the role's own name
