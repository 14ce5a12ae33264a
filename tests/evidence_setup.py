"""Three trusts taking part in one subnet, with people who opened it this month: the setting
of the Evidence tests (HTTP and Chromium)."""

from __future__ import annotations

from urllib.parse import quote

from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    subnet_path,
)

from node import manage

PEOPLE = {  # trust → carers who open the subnet this month
    "Berkshire": ["sam", "lee"],
    "Oxford Health": ["alex", "ash", "bo"],
    "Bucks": [f"carer{i}" for i in range(9)],
}


async def _members(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def three_trusts(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[list[TestNode], str, dict[str, Browser]]:
    """A hosts "carers", shared with B and C; every carer has opened it once; A has an admin,
    an analyst and a clinician; D is a peer of A that is no partner."""
    nodes = [await start_node(name) for name in (*PEOPLE, "Surrey")]
    a, b, c, _ = nodes
    await peer_all(*nodes)
    subnet = await manage.subnet_create(a.directory, "carers", "Carers across the region")
    await share(a, "carers", b)
    await share(a, "carers", c)
    for node, names in zip((a, b, c), PEOPLE.values(), strict=True):
        for username in names:
            await node.add_user(username, "carer", username.title())
            await manage.subnet_add(node.directory, subnet if node is not a else "carers", username)
    await eventually(lambda: _members(a, subnet, sum(len(n) for n in PEOPLE.values())), 20)
    for node, names in zip((a, b, c), PEOPLE.values(), strict=True):
        for username in names:
            person = browser(node)
            await person.sign_in(username)
            status, _ = await person.get(subnet_path(subnet))
            assert status == 200
    staff = {}
    for username, role in (("ada", "admin"), ("ana", "analyst"), ("dr-ahmed", "clinician")):
        await a.add_user(username, role, username.title())
        staff[username] = browser(a)
        await staff[username].sign_in(username)
    return nodes, subnet, staff


def evidence_path(subnet: str, suffix: str = "") -> str:
    return f"/evidence/subnet{suffix}?id={quote(subnet, safe='')}"
