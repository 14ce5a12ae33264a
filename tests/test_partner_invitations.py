"""A partner trust's clinician invites her own trust's people into a subnet hosted by another
trust that she belongs to: the invitee's account stays at her trust, and a Join goes to the
subnet's home (real nodes, real HTTP)."""

from __future__ import annotations

from conftest import BrowserFactory, StartNode, eventually, peer_all, share
from test_invitations import invite, join

from node import manage


async def test_partner_clinician_invites_her_people_into_a_shared_subnet_she_belongs_to(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await manage.subnet_create(a.directory, "carers", "Carers across the valley")
    subnet_uri = await share(a, "carers", b)
    await b.add_user("dr-cara", "clinician", "Dr Cara")
    await b.add_user("dr-other", "clinician", "Dr Other")
    await manage.subnet_add(b.directory, subnet_uri, "dr-cara")
    await eventually(lambda: _members_at_home(a, subnet_uri, 1))

    cara = browser(b)
    await cara.sign_in("dr-cara")
    status, html = await cara.get("/staff/invitations/new")
    assert status == 200 and "Carers across the valley (Host Trust)" in html
    link, _ = await invite(cara, role="carer", subnets=(subnet_uri,))
    newcomer = browser(b)
    status, html = await newcomer.get("/" + link)
    assert status == 200 and "Carers across the valley" in html
    status, html = await join(newcomer, link, "robin", "Robin")
    assert status == 200 and "Carers across the valley" in html
    await eventually(lambda: _members_at_home(a, subnet_uri, 2))
    assert "robin" not in await a.all_rows_text()  # the account stays at Partner Trust

    other = browser(b)  # a clinician of the same trust who is not in the subnet
    await other.sign_in("dr-other")
    _, html = await other.get("/staff/invitations/new")
    assert "Carers across the valley" not in html
    fields = [("role", "carer"), ("real_name", ""), ("subnets", subnet_uri)]
    status, html = await other.submit_pairs(
        "/staff/invitations/new", "/staff/invitations/new", fields
    )
    assert status == 400 and "subnets you belong to" in html


async def _members_at_home(node: object, subnet_uri: str, n: int) -> bool:
    return await node.members_in(subnet_uri) == n  # type: ignore[attr-defined]
