"""The admins' web pages: offering a subnet, answering an invitation, and seeing partners —
the same agreement as the CLI's, through forms with CSRF tokens."""

from __future__ import annotations

from conftest import BrowserFactory, StartNode, TestNode, eventually, peer_all

from node import manage


async def _admin_page_has(admin: object, text: str) -> bool:
    status, html = await admin.get("/admin")  # type: ignore[attr-defined]
    return status == 200 and text in html


async def test_admins_offer_and_accept_a_share_in_the_browser(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    for node in (a, b):
        await node.add_user("admin", "admin")
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers across the valley")
    host_admin, partner_admin = browser(a), browser(b)
    await host_admin.sign_in("admin")
    await partner_admin.sign_in("admin")

    status, _ = await host_admin.submit(
        "/admin", "/admin/sharing", {"slug": "carers", "peer": b.url}
    )
    assert status == 200
    assert await _admin_page_has(host_admin, "invited")
    await eventually(lambda: _admin_page_has(partner_admin, "Carers across the valley"))
    status, html = await partner_admin.submit(
        "/admin", "/admin/invitations", {"subnet": subnet, "accept": "1"}
    )
    assert status == 200 and "No invitations are waiting" in html
    await eventually(lambda: _admin_page_has(host_admin, "accepted"))
    status, html = await partner_admin.submit(  # the session's token, from another form
        "/sign-out", "/admin/invitations", {"subnet": subnet, "accept": "1"}
    )
    assert status == 400 and "no pending share invitation" in html

    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    status, html = await sam.get("/")
    assert "Shared with: Partner Trust" in html
    status, _ = await sam.get("/admin")
    assert status == 403


async def test_bad_policy_form_shows_an_error_and_changes_nothing(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a: TestNode = await start_node("Host Trust")
    await a.add_user("admin", "admin")
    await manage.subnet_create(a.directory, "carers", "Carers")
    admin = browser(a)
    await admin.sign_in("admin")
    fields = {"slug": "carers", "posting": "all", "retention_days": "-5"}
    status, html = await admin.submit("/admin", "/admin/policy", fields)
    assert status == 400 and "There is a problem" in html and "Retention" in html
    fields = {"slug": "carers", "posting": "staff", "retention_days": "30"}
    status, html = await admin.submit("/admin", "/admin/policy", fields)
    assert status == 200 and 'value="30"' in html
