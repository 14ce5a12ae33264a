"""Destructive actions are asked first, on a page of their own; every successful form is
followed by a page that says it worked (post/redirect/get), once."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    subnet_path,
    write,
)
from sqlalchemy import select
from test_invitations import _clinic, invite

from node import manage
from storage.models import Invitation, Post

BANNER = "nhsuk-notification-banner--success"


async def test_deleting_a_post_is_asked_first_then_said(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    await a.add_user("alex", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    for name in ("sam", "alex"):
        await manage.subnet_add(a.directory, "carers", name)
    sam, alex = browser(a), browser(a)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    await write(sam, subnet, "A quiet walk by the river today")
    post = await a.post_uri("A quiet walk by the river today")
    confirm = "/posts/delete?" + urlencode({"object": post, "subnet": subnet})

    status, html = await sam.get(subnet_path(subnet))
    assert confirm.replace("&", "&amp;") in html  # the subnet page links to the question
    assert 'action="/posts/delete"' not in html  # and has no one-click delete for her post

    status, html = await sam.get(confirm)
    assert status == 200 and "Delete your post?" in html
    assert "A quiet walk by the river today" in html
    assert re.search(r'<form method="post" action="/posts/delete">', html)
    assert await a.count(Post) == 1  # asking changes nothing

    status, _ = await alex.get(confirm)
    assert status == 404  # not hers: no hint the post exists

    status, html = await sam.submit(confirm, "/posts/delete", {"object": post, "subnet": subnet})
    assert status == 200 and BANNER in html and "Post deleted" in html
    _, again = await sam.get(subnet_path(subnet))
    assert BANNER not in again  # said once


async def test_leaving_a_subnet_is_asked_first_then_said(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    confirm = "/subnet/leave?" + urlencode({"subnet": subnet})
    _, html = await sam.get(subnet_path(subnet))
    assert confirm.replace("&", "&amp;") in html
    status, html = await sam.get(confirm)
    assert status == 200 and "Leave Carers?" in html
    assert await a.members_in(subnet) == 1
    status, html = await sam.submit(confirm, "/subnet/leave", {"subnet": subnet})
    assert status == 200 and "My subnets" in html
    assert BANNER in html and "You have left the subnet" in html
    assert await a.members_in(subnet) == 0
    status, _ = await sam.get(confirm)
    assert status == 404


async def test_saving_edits_and_names_says_so(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("sam", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    status, html = await sam.submit(
        subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": "Morning all"}
    )
    assert status == 200 and "Your post has been published" in html
    post = await a.post_uri("Morning all")
    status, html = await sam.submit(
        subnet_path(subnet),
        "/posts/edit",
        {
            "subnet": subnet,
            "object": post,
            "content": "Good morning everyone, the sun is out and the kettle is on",
        },
    )
    assert status == 200 and BANNER in html
    assert re.search(r'nhsuk-notification-banner__heading">\s*Saved\s*<', html)
    status, html = await sam.submit(
        subnet_path(subnet), "/subnet/pseudonym", {"subnet": subnet, "pseudonym": "Quiet river"}
    )
    assert status == 200 and "Your name in this subnet has been saved" in html


async def test_stopping_a_share_is_asked_first_then_said(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    await manage.peer_add(a.directory, b.url)
    await manage.peer_add(b.directory, a.url)
    await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await a.add_user("boss", "admin")
    boss = browser(a)
    await boss.sign_in("boss")
    confirm = "/admin/sharing/stop?" + urlencode({"slug": "carers", "peer": b.url})
    _, html = await boss.get("/admin")
    assert confirm.replace("&", "&amp;") in html
    status, html = await boss.get(confirm)
    assert status == 200 and "Stop sharing Carers with Oxford Health?" in html
    status, html = await boss.submit(
        confirm, "/admin/sharing", {"slug": "carers", "peer": b.url, "unshare": "1"}
    )
    assert status == 200 and BANNER in html and "Sharing stopped" in html
    status, _ = await boss.get("/admin/sharing/stop?" + urlencode({"slug": "x", "peer": b.url}))
    assert status == 404


async def test_revoking_an_invitation_is_asked_first_then_said(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, clinician = await _clinic(start_node, browser)
    await invite(clinician)
    async with a.db.transaction() as s:
        (invitation,) = (await s.execute(select(Invitation))).scalars().all()
    confirm = "/staff/invitations/revoke?" + urlencode({"invitation": invitation.id})
    _, html = await clinician.get("/staff/invitations")
    assert confirm in html and 'action="/staff/invitations/revoke"' not in html

    status, html = await clinician.get(confirm)
    assert status == 200 and "Revoke the patient invitation for Carers across" in html
    assert '<form method="post" action="/staff/invitations/revoke">' in html
    assert not await _revoked(a)  # asking changes nothing

    async with clinician.http.post(
        f"{a.url}/staff/invitations/revoke", data={"invitation": invitation.id}
    ) as response:
        assert response.status == 403  # no CSRF token: refused
    assert not await _revoked(a)

    await a.add_user("dr-lee", "clinician", "Dr Lee")
    other = browser(a)
    await other.sign_in("dr-lee")
    status, _ = await other.get(confirm)
    assert status == 404  # not hers to revoke

    status, html = await clinician.submit(
        confirm, "/staff/invitations/revoke", {"invitation": invitation.id}
    )
    assert status == 200 and BANNER in html and "Invitation revoked" in html
    assert await _revoked(a)
    status, _ = await clinician.get(confirm)
    assert status == 404  # no longer open


async def _revoked(node: TestNode) -> bool:
    async with node.db.transaction() as s:
        (invitation,) = (await s.execute(select(Invitation))).scalars().all()
    return invitation.revoked_at is not None


async def test_declining_a_share_invitation_is_asked_first_then_said(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await b.add_user("boss", "admin")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers across the valley")
    await manage.subnet_share(a.directory, "carers", b.url)
    await eventually(lambda: _waiting(b))
    boss = browser(b)
    await boss.sign_in("boss")
    confirm = "/admin/invitations/decline?" + urlencode({"subnet": subnet})
    _, html = await boss.get("/admin")
    assert confirm.replace("&", "&amp;") in html
    assert 'name="accept" value="0"' not in html  # no one-click decline

    status, html = await boss.get(confirm)
    assert status == 200 and "Decline Carers across the valley, hosted by Host Trust?" in html
    assert '<form method="post" action="/admin/invitations">' in html
    assert await _waiting(b)  # asking changes nothing

    async with boss.http.post(
        f"{b.url}/admin/invitations", data={"subnet": subnet, "accept": "0"}
    ) as response:
        assert response.status == 403  # no CSRF token: refused
    assert await _waiting(b)

    status, html = await boss.submit(
        confirm, "/admin/invitations", {"subnet": subnet, "accept": "0"}
    )
    assert status == 200 and BANNER in html and "Invitation declined" in html
    assert "No invitations are waiting" in html and not await _waiting(b)
    status, _ = await boss.get(confirm)
    assert status == 404  # nothing left to decline


async def _waiting(node: TestNode) -> bool:
    return bool(await manage.share_list(node.directory))
