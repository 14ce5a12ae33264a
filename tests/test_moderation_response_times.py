"""Response times from real data: a post held for pre-moderation and its approval, and one
still waiting, show on the staff page and from `sharon moderation times`; members are
refused."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from conftest import BrowserFactory, StartNode, moderate, subnet_path, write
from sqlalchemy import select

from actors.response_times import bank_holidays, in_hours
from actors.retention import PolicyChange
from node import manage
from node.cli import main
from storage.models import Post


async def test_held_posts_answered_and_waiting_are_counted_per_subnet(
    start_node: StartNode, browser: BrowserFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    node = await start_node("Test Trust")
    await node.add_user("dr-ahmed", "clinician")
    await node.add_user("sam", "carer")
    subnet = await manage.subnet_create(node.directory, "carers", "Carers")
    await manage.subnet_policy(node.directory, "carers", PolicyChange(premoderation=True))
    for username in ("dr-ahmed", "sam"):
        await manage.subnet_add(node.directory, "carers", username)
    clinician, sam = browser(node), browser(node)
    await clinician.sign_in("dr-ahmed")
    await sam.sign_in("sam")
    await write(sam, subnet, "A first post, waiting for a moderator")
    await write(sam, subnet, "A second post, waiting too")
    first = await node.post_uri("A first post, waiting for a moderator")
    status, _ = await moderate(clinician, subnet, {"action": "release", "object": first})
    assert status == 200

    async with node.db.transaction() as s:
        published = (await s.scalars(select(Post.published))).all()
    part = "in hours" if in_hours(published[0], bank_holidays()) else "out of hours"
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["moderation", "times", str(node.directory)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("Carers\t")
    assert f"{part}: answered=1 median_h=0.0 p90_h=0.0 waiting=1" in line

    status, html = await clinician.get("/moderation/times")
    assert status == 200 and "Carers" in html and "Still waiting" in html
    status, _ = await sam.get("/moderation/times")
    assert status == 403


async def test_a_report_waits_until_a_moderator_decides_on_its_post(
    start_node: StartNode, browser: BrowserFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    node = await start_node("Test Trust")
    await node.add_user("dr-ahmed", "clinician")
    await node.add_user("sam", "carer")
    await node.add_user("jo", "carer")
    subnet = await manage.subnet_create(node.directory, "carers", "Carers")
    for username in ("dr-ahmed", "sam", "jo"):
        await manage.subnet_add(node.directory, "carers", username)
    clinician, sam, jo = browser(node), browser(node), browser(node)
    for person, username in ((clinician, "dr-ahmed"), (sam, "sam"), (jo, "jo")):
        await person.sign_in(username)
    await write(sam, subnet, "Everyone here is useless")
    post = await node.post_uri("Everyone here is useless")
    fields = {"subnet": subnet, "object": post, "reason": "bullying", "note": ""}
    status, _ = await jo.submit(f"/posts/report?{urlencode(fields)}", "/posts/report", fields)
    assert status == 200

    async def line() -> str:
        capsys.readouterr()
        assert await asyncio.to_thread(main, ["moderation", "times", str(node.directory)]) == 0
        (only,) = capsys.readouterr().out.splitlines()
        return only

    assert "answered=0" in (waiting := await line()) and "waiting=1" in waiting
    fields = {"subnet": subnet, "action": "remove", "target": post, "reason": "Unkind to others."}
    status, _ = await clinician.submit(subnet_path(subnet), "/moderate/act", fields)
    assert status == 200
    answered = await line()
    assert "answered=1" in answered and "waiting=1" not in answered
