"""The admin's web pages for creating subnets and agreeing peers: the same operations as the
CLI's `sharon subnet create` and `sharon peer add|remove`, over real HTTP between real nodes."""

from __future__ import annotations

from urllib.parse import quote

from conftest import BrowserFactory, StartNode, eventually, peer_all, share
from sqlalchemy import select

from actors.retention import PolicyChange
from federation.keys import NodeKeys
from node import manage
from storage.models import Audit, Peer, ShareOffer, Subnet, SubnetPartner


async def _audited(node: object, action: str) -> list[Audit]:
    async with node.db.transaction() as s:  # type: ignore[attr-defined]
        rows = await s.scalars(select(Audit).where(Audit.action == action))
        return list(rows)


async def test_admin_creates_a_subnet_with_its_policy_and_sees_every_error_at_once(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Host Trust")
    await a.add_user("admin", "admin")
    await a.add_user("sam", "carer")
    admin = browser(a)
    await admin.sign_in("admin")

    status, html = await admin.submit(
        "/admin/subnets/new",
        "/admin/subnets",
        {"slug": "Not A Slug", "name": " ", "retention_days": "x"},
    )
    assert status == 400 and "There is a problem" in html
    assert 'href="#slug"' in html and 'href="#name"' in html and 'href="#retention_days"' in html
    assert await a.count(Subnet) == 0

    fields = {
        "name": "Information for carers",
        "slug": "carers-info",
        "posting": "staff",
        "premoderation": "on",
        "audience": "adults",
        "numbers": "masked",
        "retention_days": "90",
    }
    status, html = await admin.submit("/admin/subnets/new", "/admin/subnets", fields)
    assert status == 200 and "Subnet created" in html
    async with a.db.transaction() as s:
        subnet = await s.scalar(select(Subnet).where(Subnet.slug == "carers-info"))
    assert subnet is not None and subnet.name == "Information for carers"
    assert (subnet.posting_policy, subnet.premoderation, subnet.numbers) == (
        "staff",
        True,
        "masked",
    )
    assert subnet.retention_days == 90 and not subnet.join_approval
    (entry,) = await _audited(a, "subnet.created")
    assert entry.who == await a.person_uri("admin")

    status, html = await admin.submit("/admin/subnets/new", "/admin/subnets", fields)
    assert status == 400 and "already exists" in html and await a.count(Subnet) == 1

    async with admin.http.post(f"{a.url}/admin/subnets", data=fields) as response:
        assert response.status in (400, 403)  # no CSRF token
    sam = browser(a)
    await sam.sign_in("sam")
    assert (await sam.get("/admin/subnets/new"))[0] == 403


async def test_admin_adds_a_peer_after_seeing_its_key_fingerprint_and_removes_it(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await a.add_user("admin", "admin")
    await manage.subnet_create(a.directory, "carers", "Carers")
    admin = browser(a)
    await admin.sign_in("admin")
    their_key = NodeKeys.load(b.directory).fingerprint

    status, html = await admin.submit("/admin/peers/new", "/admin/peers/look-up", {"url": b.url})
    assert status == 200 and their_key in html and "Partner Trust" in html
    assert await a.count(Peer) == 0  # looking up agrees to nothing

    status, html = await admin.submit(
        "/admin/peers/new", "/admin/peers", {"url": b.url, "fingerprint": "SHA256:someone-else"}
    )
    assert status == 400 and "another key" in html and await a.count(Peer) == 0

    status, html = await admin.submit(
        "/admin/peers/new", "/admin/peers", {"url": b.url, "fingerprint": their_key}
    )
    assert status == 200 and "Peer added" in html
    assert their_key in html and "Last delivered" in html and "Last failed" in html
    (entry,) = await _audited(a, "peer.agreed")
    assert entry.who == await a.person_uri("admin") and entry.target == b.url

    await manage.peer_add(b.directory, a.url)  # the other trust agrees too, by its CLI
    status, _ = await admin.submit("/admin", "/admin/sharing", {"slug": "carers", "peer": b.url})
    assert status == 200
    await eventually(lambda: _offered_to(b))  # the peer added on the web page is usable

    status, html = await admin.get(f"/admin/peers/remove?url={b.url}")
    assert status == 200 and "Stop federating with Partner Trust?" in html
    assert [p.state for p, _ in await manage.peer_list(a.directory)] == ["active"]
    status, html = await admin.submit(
        f"/admin/peers/remove?url={b.url}", "/admin/peers/remove", {"url": b.url}
    )
    assert status == 200 and "Peer removed" in html
    assert await manage.peer_list(a.directory) == []
    assert await _audited(a, "peer.removed")
    status, _ = await admin.submit("/admin", "/admin/peers/remove", {"url": b.url})
    assert status == 404


async def _offered_to(node: object) -> bool:
    return bool(await manage.share_list(node.directory))  # type: ignore[attr-defined]


async def test_partner_admin_sees_a_subnets_policy_before_accepting_its_offer(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await b.add_user("admin", "admin")
    await manage.subnet_create(a.directory, "eating", "Eating disorders support")
    await manage.subnet_policy(
        a.directory,
        "eating",
        PolicyChange(posting="staff", premoderation=True, numbers="hidden", audience="under_18"),
    )
    await manage.subnet_share(a.directory, "eating", b.url)
    await eventually(lambda: _offered_to(b))
    admin = browser(b)
    await admin.sign_in("admin")
    status, html = await admin.get("/admin")
    assert status == 200 and "Eating disorders support" in html
    for shown in ("Staff only", "Posts held for a moderator", "Yes, every post", "Under 18"):
        assert shown in html
    assert "Hidden from readers" in html


async def test_partner_admin_manages_a_shared_subnet_and_stops_taking_part(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await b.add_user("admin", "admin")
    await b.add_user("alex", "carer", "Alex")
    await manage.subnet_create(a.directory, "carers", "Carers across the valley")
    subnet_uri = await share(a, "carers", b)
    admin = browser(b)
    await admin.sign_in("admin")
    status, html = await admin.get("/admin")
    assert status == 200 and "Carers across the valley" in html and "taking-part?id=" in html

    page = f"/admin/taking-part?id={quote(subnet_uri, safe='')}"
    status, html = await admin.get(page)
    assert status == 200 and "Hosted by Host Trust" in html and "Nobody from this trust" in html
    wrong = {"subnet": subnet_uri, "username": "nobody"}
    status, html = await admin.submit(page, "/admin/taking-part/members", wrong)
    assert status == 400 and 'href="#username"' in html
    fields = {"subnet": subnet_uri, "username": "alex"}
    status, html = await admin.submit(page, "/admin/taking-part/members", fields)
    assert status == 200 and "Added" in html and "Alex" in html
    await eventually(lambda: _members_at_home(a, subnet_uri, 1))
    entries = await _audited(b, "member.added")
    assert [e.who for e in entries] == [await b.person_uri("admin")]
    status, _ = await admin.get("/admin/taking-part?id=https%3A%2F%2Fnowhere.example%2Fsubnets%2Fx")
    assert status == 404

    stop = f"/admin/taking-part/stop?id={quote(subnet_uri, safe='')}"
    status, html = await admin.get(stop)
    assert status == 200 and "Stop taking part in Carers across the valley?" in html
    status, html = await admin.submit(stop, "/admin/taking-part/stop", {"subnet": subnet_uri})
    assert status == 200 and "no longer takes part" in html
    assert "taking-part?id=" not in html
    assert await b.count(ShareOffer) == 0 and await b.members_in(subnet_uri) == 0
    (left,) = await _audited(b, "share.left")
    assert left.who == await b.person_uri("admin")
    await eventually(lambda: _members_at_home(a, subnet_uri, 0))  # the home heard

    async def home_dropped_partner() -> bool:
        return "accepted" not in await _agreements(a)

    await eventually(home_dropped_partner)


async def _agreements(node: object) -> list[str]:
    async with node.db.transaction() as s:  # type: ignore[attr-defined]
        return [row.state for row in await s.scalars(select(SubnetPartner))]


async def _members_at_home(node: object, subnet_uri: str, n: int) -> bool:
    return await node.members_in(subnet_uri) == n  # type: ignore[attr-defined]
