"""Being told: members hear when their subnet starts or stops being shared with a trust (on the
host, on a partner, and when their own trust is dropped), see the house rules when joining and
from the subnet's page, and land on a welcome page that explains subnets and pseudonyms."""

from __future__ import annotations

from urllib.parse import quote

from conftest import Browser, BrowserFactory, StartNode, TestNode, eventually, peer_all, share

from node import manage


async def _told(person: Browser, text: str) -> bool:
    status, html = await person.get("/notices")
    return status == 200 and text in html


async def _members(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def test_members_are_told_when_their_subnet_starts_and_stops_being_shared(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, c = (
        await start_node("Host Trust"),
        await start_node("Partner Trust"),
        await start_node("Third Trust"),
    )
    await peer_all(a, b, c)
    await a.add_user("sam", "carer", "Sam")
    await b.add_user("alex", "carer", "Alex")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")

    await share(a, "carers", b)
    assert await _told(sam, "Carers is now shared with Partner Trust")
    await manage.subnet_add(b.directory, subnet, "alex")
    await eventually(lambda: _members(a, subnet, 2))

    await share(a, "carers", c)
    assert await _told(sam, "Carers is now shared with Third Trust")
    await eventually(lambda: _told(alex, "Carers is now shared with Third Trust"))

    await manage.subnet_unshare(a.directory, "carers", c.url)
    assert await _told(sam, "Carers is no longer shared with Third Trust.")
    await eventually(lambda: _told(alex, "Carers is no longer shared with Third Trust."))

    await manage.subnet_unshare(a.directory, "carers", b.url)
    await eventually(lambda: _told(alex, "Carers is no longer shared with this trust."))
    _, html = await alex.get("/notices")
    assert "no longer shared with this trust.</a>" not in html  # nothing left to link to


async def test_staff_write_house_rules_shown_on_joining_and_linked_from_the_subnet_page(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust")
    await a.add_user("dr-ahmed", "clinician", "Dr Ahmed")
    await a.add_user("sam", "carer", "Sam")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    await manage.subnet_add(a.directory, "carers", "sam")
    clinician, sam = browser(a), browser(a)
    await clinician.sign_in("dr-ahmed")
    await sam.sign_in("sam")
    rules_path = f"/subnet/rules?id={quote(subnet, safe='')}"
    edit_path = f"/subnet/rules/edit?id={quote(subnet, safe='')}"

    _, html = await sam.get(f"/subnet?id={quote(subnet, safe='')}")
    assert 'href="/subnet/rules?id=' in html and ">House rules</a>" in html
    status, html = await sam.get(rules_path)
    assert status == 200 and "No house rules have been written" in html
    assert "Change the house rules" not in html
    assert (await sam.get(edit_path))[0] == 403

    rules = "Be kind.\n\nNo selling (marker H1)."
    status, html = await clinician.submit(
        edit_path, "/subnet/rules/edit", {"subnet": subnet, "rules": rules}
    )
    assert status == 200 and "The house rules are saved." in html and "marker H1" in html
    status, html = await sam.submit(
        f"/subnet?id={quote(subnet, safe='')}",
        "/subnet/rules/edit",
        {"subnet": subnet, "rules": "Mine now"},
    )
    assert status == 403
    status, html = await clinician.submit(
        edit_path, "/subnet/rules/edit", {"subnet": subnet, "rules": "Bad \u202e text"}
    )
    assert status == 400 and "The house rules contains" in html
    assert "marker H1" in (await sam.get(rules_path))[1]

    link, _ = await manage.invite_create(
        a.directory, by="dr-ahmed", role="patient", subnets_=["carers"]
    )
    newcomer = browser(a)
    status, html = await newcomer.get(link.removeprefix(a.url))
    assert status == 200 and "House rules of Carers" in html and "marker H1" in html
    token = link.split("token=")[1]
    status, html = await newcomer.submit(
        link.removeprefix(a.url),
        "/join",
        {
            "token": token,
            "username": "river",
            "pseudonym": "Willow",
            "password": "gravel otter lantern",
        },
    )
    assert status == 200, html[:400]
    assert "Welcome, Willow" in html and "A subnet is a small group" in html
    assert "Other people see your pseudonym" in html and "marker H1" in html
