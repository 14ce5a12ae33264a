"""Learning spaces over real HTTP between real nodes: a subnet of kind "learning" takes
professionals and staff alone. Adding, inviting or joining a patient or carer is refused with a
clear message at the subnet's home and at a partner trust; and the home holds to the rule
itself, so a partner node that does not (an older one) cannot bring its patient in."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    moderate,
    peer_all,
    share,
)
from sqlalchemy import select, update

from actors.errors import Invalid
from actors.retention import PolicyChange
from node import manage
from node.cli import main
from storage.models import Audit, Invitation, Membership, RemoteActor, Subnet

REFUSAL = "only professionals (schools, social services, police) and staff can be members"


def _cli(*argv: str) -> int:
    return main(list(argv))


async def _kind(node: TestNode, slug: str) -> str:
    async with node.db.transaction() as s:
        subnet = (await s.execute(select(Subnet).where(Subnet.slug == slug))).scalar_one()
    return subnet.kind


async def test_a_learning_space_refuses_patients_and_carers_here_with_a_clear_message(
    start_node: StartNode, browser: BrowserFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    a = await start_node("Home Trust")
    for username, role in (
        ("dr-lee", "clinician"),
        ("pat", "patient"),
        ("cara", "carer"),
        ("pc-jones", "professional"),
    ):
        await a.add_user(username, role, username.title())
    directory = str(a.directory)
    assert (
        await asyncio.to_thread(
            _cli,
            "subnet",
            "create",
            directory,
            "schools",
            "--name",
            "Schools",
            "--kind",
            "learning",
        )
        == 0
    )
    assert await _kind(a, "schools") == "learning"
    subnet = f"{a.url}/subnets/schools"
    await manage.subnet_add(a.directory, "schools", "dr-lee")
    await manage.subnet_add(a.directory, "schools", "pc-jones")
    for username in ("pat", "cara"):
        with pytest.raises(Invalid, match="learning space"):
            await manage.subnet_add(a.directory, "schools", username)
    capsys.readouterr()
    assert await asyncio.to_thread(_cli, "subnet", "add", directory, "schools", "pat") == 1
    assert REFUSAL in capsys.readouterr().err

    lee = browser(a)
    await lee.sign_in("dr-lee")
    status, page = await lee.get(f"/subnet?id={subnet}")
    assert status == 200 and "A learning space: its members are professionals and staff" in page
    status, page = await moderate(lee, subnet, {"action": "add", "username": "pat"})
    assert status == 400 and "There is a problem" in page and REFUSAL in page
    for role in ("patient", "carer"):
        status, page = await lee.submit_pairs(
            "/staff/invitations/new",
            "/staff/invitations/new",
            [("role", role), ("subnets", "schools")],
        )
        assert status == 400 and REFUSAL in page, role
    assert await a.count(Invitation) == 0
    status, page = await lee.submit_pairs(
        "/staff/invitations/new",
        "/staff/invitations/new",
        [("role", "professional"), ("subnets", "schools")],
    )
    assert status == 200 and await a.count(Invitation) == 1
    assert await a.members_in(subnet) == 2  # dr-lee and pc-jones

    # A support subnet with a patient in it cannot become a learning space…
    await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "pat")
    with pytest.raises(Invalid, match="Patients, carers or volunteers are in this subnet"):
        await manage.subnet_policy(a.directory, "carers", PolicyChange(kind="learning"))
    assert await _kind(a, "carers") == "support"
    # …and one without can, with the CLI as with the admin page.
    await manage.subnet_create(a.directory, "police", "Police liaison")
    assert (
        await asyncio.to_thread(_cli, "subnet", "policy", directory, "police", "--kind", "learning")
        == 0
    )
    assert "kind=learning" in capsys.readouterr().out
    assert await _kind(a, "police") == "learning"


async def _member_at(node: TestNode, subnet: str, member: str) -> str | None:
    async with node.db.transaction() as s:
        row = (
            await s.execute(
                select(Membership).where(
                    Membership.subnet_uri == subnet, Membership.member_uri == member
                )
            )
        ).scalar_one_or_none()
    return row.state if row else None


async def test_a_shared_learning_space_refuses_a_partners_patient_at_both_ends(
    start_node: StartNode, browser: BrowserFactory, tmp_path: Path
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await b.add_user("nurse-kim", "clinician", "Nurse Kim")
    await b.add_user("teacher", "professional", "Teacher")
    await b.add_user("pat", "patient", "Pat")
    await b.add_user("cara", "carer", "Cara")
    subnet = await manage.subnet_create(a.directory, "schools", "Schools", kind="learning")
    await share(a, "schools", b)
    async with b.db.transaction() as s:
        group = await s.get(RemoteActor, subnet)
    assert group is not None and group.subnet_kind == "learning"  # from the Group document

    # The partner's own node refuses its patient, with the same words.
    with pytest.raises(Invalid, match="learning space"):
        await manage.subnet_add(b.directory, subnet, "pat")
    await manage.subnet_add(b.directory, subnet, "nurse-kim")
    kim = browser(b)
    await kim.sign_in("nurse-kim")
    status, page = await moderate(kim, subnet, {"action": "add", "username": "cara"})
    assert status == 400 and REFUSAL in page
    status, _ = await moderate(kim, subnet, {"action": "add", "username": "teacher"})
    assert status == 200
    teacher = await b.member_uri("teacher", subnet)

    async def joined() -> bool:
        return await _member_at(a, subnet, teacher) == "active"

    await eventually(joined)
    joins = [
        json.loads(sent.body) for sent in b.sent if sent.method == "POST" and b'"Join"' in sent.body
    ]
    assert {join["joinsAs"] for join in joins} == {"staff", "professional"}

    # A partner that does not hold to the rule (here, one whose copy of the Group document
    # says it is a support subnet, as an older node's would) sends a Join for its patient
    # saying nothing of them: the home answers No, and the partner drops the membership.
    async with b.db.transaction() as s:
        await s.execute(
            update(RemoteActor).where(RemoteActor.uri == subnet).values(subnet_kind="support")
        )
    status, _ = await moderate(kim, subnet, {"action": "add", "username": "pat"})
    assert status == 200
    pat = await b.member_uri("pat", subnet)

    async def refused() -> bool:
        async with a.db.transaction() as s:
            rows = (await s.execute(select(Audit))).scalars().all()
        return any(r.action == "join.refused" and r.target == pat for r in rows)

    await eventually(refused)
    assert await _member_at(a, subnet, pat) is None

    async def dropped() -> bool:
        return await _member_at(b, subnet, pat) is None

    await eventually(dropped)
