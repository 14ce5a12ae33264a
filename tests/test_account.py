"""A person's own account: profile, avatar, downloading their data, erasing it."""

from __future__ import annotations

import json

from conftest import PASSWORD, Browser, BrowserFactory, StartNode, TestNode

from node import manage
from storage.models import Event, Membership, Person, Post, WebSession


async def _member(start_node: StartNode, browser: BrowserFactory) -> tuple[TestNode, str, Browser]:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("river", "patient", "Willow")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_add(a.directory, "carers", "river")
    river = browser(a)
    await river.sign_in("river")
    return a, subnet, river


async def test_a_person_changes_pseudonym_and_picks_a_built_in_picture(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _, river = await _member(start_node, browser)
    status, page = await river.submit(
        "/account", "/account/profile", {"pseudonym": "Heron", "avatar": "wave"}
    )
    assert status == 200 and "Your profile has been saved" in page
    assert 'value="Heron"' in page and "/static/avatars/wave." in page
    status, page = await river.submit(
        "/account", "/account/profile", {"pseudonym": "Heron", "avatar": "../../etc/passwd"}
    )
    assert status == 400 and "Choose one of the pictures shown" in page
    status, page = await river.submit(
        "/account", "/account/profile", {"pseudonym": "call 07700900123", "avatar": ""}
    )
    assert status == 400 and "must not contain long numbers" in page
    async with a.db.transaction() as s:
        (row,) = (await s.execute(Person.__table__.select())).all()
    assert (row.pseudonym, row.avatar) == ("Heron", "wave")


async def test_download_my_data_holds_my_posts_and_subnets_as_json_and_html(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, subnet, river = await _member(start_node, browser)
    await river.submit(
        f"/subnet?id={subnet}", "/subnet/posts", {"subnet": subnet, "content": "First post here"}
    )
    async with river.http.get(f"{a.url}/account/data.json") as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        data = json.loads(await response.text())
    assert data["account"]["pseudonym"] == "Willow" and data["account"]["username"] == "river"
    assert [post["content"] for post in data["posts"]] == ["First post here"]
    assert [m["name"] for m in data["memberships"]] == ["Carers"]
    assert data["sessions"] and data["audit"] == []
    status, page = await river.get("/account/data")
    assert status == 200 and "First post here" in page and "Carers" in page


async def test_erasing_an_account_removes_everything_and_records_deletions(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, subnet, river = await _member(start_node, browser)
    for text in ("One", "Two"):
        await river.submit(
            f"/subnet?id={subnet}", "/subnet/posts", {"subnet": subnet, "content": text}
        )
    status, page = await river.submit("/account/erase", "/account/erase", {"password": PASSWORD})
    assert status == 400 and "Tick the box" in page
    status, page = await river.submit(
        "/account/erase", "/account/erase", {"confirm": "yes", "password": "wrong password"}
    )
    assert status == 400 and "password is not right" in page
    assert await a.count(Post) == 2
    status, page = await river.submit(
        "/account/erase", "/account/erase", {"confirm": "yes", "password": PASSWORD}
    )
    assert status == 200 and "Your account has been erased" in page
    for model in (Person, Post, Membership, WebSession):
        assert await a.count(model) == 0, model
    async with a.db.transaction() as s:
        events = (await s.execute(Event.__table__.select())).all()
    deleted = [event.payload for event in events if event.kind == "post.deleted"]
    assert len(deleted) == 2
    assert all(item["object_uri"].startswith(a.url + "/posts/") for item in deleted)
    assert all(item["subnet_uri"] == subnet for item in deleted)
    assert "One" not in await a.all_rows_text()
    _, page = await river.get("/")
    assert "Use the username and password" in page


async def test_staff_cannot_erase_their_own_account(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("dr-ahmed", "clinician")
    clinician = browser(a)
    await clinician.sign_in("dr-ahmed")
    _, page = await clinician.get("/account")
    assert "Erase your account" not in page
    status, _ = await clinician.get("/account/erase")
    assert status == 403
