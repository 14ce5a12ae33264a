"""Sanctions over two real trusts: the author's home stops someone posting after reports on 5
different posts within a day and raises an alert when a reporter is worried about them; the
subnet's home suspends a partner's member, and their own trust applies it and tells them."""

from __future__ import annotations

from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    host_and_partner,
    moderate,
    shows,
    subnet_path,
    write,
)
from sqlalchemy import select

from storage.models import Alert, Sanction


async def _post(person: Browser, subnet: str, text: str) -> tuple[int, str]:
    return await person.submit(
        subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": text}
    )


async def _report(person: Browser, subnet: str, post: str, reason: str) -> None:
    fields = {"subnet": subnet, "object": post, "reason": reason, "note": ""}
    status, page = await person.submit(subnet_path(subnet), "/posts/report", fields)
    assert status == 200, page[:300]


async def _sanctions(node: TestNode, kind: str) -> list[Sanction]:
    async with node.db.transaction() as s:
        rows = (await s.scalars(select(Sanction))).all()
    return [row for row in rows if row.kind == kind and row.lifted_at is None]


async def _has(node: TestNode, kind: str, n: int = 1) -> bool:
    return len(await _sanctions(node, kind)) == n


async def _with_alex(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, TestNode, str, dict[str, Browser]]:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await moderate(people["nurse-kim"], subnet, {"action": "add", "username": "alex"})
    await eventually(lambda: _members(a, subnet, 4), within=30)
    return a, b, subnet, people


async def _members(node: TestNode, subnet: str, n: int) -> bool:
    return await node.members_in(subnet) == n


async def test_reports_on_five_posts_stop_the_author_posting_until_reviewed_at_home(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await _with_alex(start_node, browser)
    texts = [f"A note about my week, part {n} (marker SH{n})" for n in range(5)]
    for text in texts:
        await write(people["alex"], subnet, text)
    await eventually(lambda: shows(people["sam"], subnet, texts[-1]), within=30)
    for n, text in enumerate(texts):
        post = await b.post_uri(text)
        await _report(people["sam"], subnet, post, "worried" if n == 0 else "spam")
    await eventually(lambda: _has(b, "posting_hold"), within=30)
    async with b.db.transaction() as s:
        alerts = (await s.scalars(select(Alert))).all()
    assert [alert.categories for alert in alerts] == [["reported_worried"]]
    assert not await _sanctions(a, "posting_hold")  # a hold is the author's home's own

    status, page = await _post(people["alex"], subnet, "Can I still post? (marker SH9)")
    assert status == 400 and "You cannot post for now" in page
    _, queue = await people["nurse-kim"].get("/staff/queue")
    assert "May not post until reviewed" in queue
    hold = (await _sanctions(b, "posting_hold"))[0]
    status, _ = await people["nurse-kim"].submit(
        "/staff/queue", "/staff/queue/holds", {"hold": hold.id}
    )
    assert status == 200
    status, _ = await _post(people["alex"], subnet, "Thank you for checking (marker SH10)")
    assert status == 200


async def test_a_suspension_at_the_subnets_home_holds_at_the_members_trust(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _, b, subnet, people = await _with_alex(start_node, browser)
    await write(people["alex"], subnet, "Before (marker SU1)")
    await eventually(lambda: shows(people["sam"], subnet, "marker SU1"), within=30)
    alex = await b.member_uri("alex", subnet)
    fields = {
        "subnet": subnet,
        "action": "suspend",
        "target": alex,
        "reason": "Repeated unkind replies.",
        "duration": "2w",
    }
    status, page = await people["dr-ahmed"].submit(
        "/moderate/confirm?" + f"subnet={subnet}&action=suspend&target={alex}",
        "/moderate/act",
        {**fields, "duration": ""},
    )
    assert status == 400 and "how long" in page  # the confirmation page asks again
    status, _ = await people["dr-ahmed"].submit(subnet_path(subnet), "/moderate/act", fields)
    assert status == 200
    await eventually(lambda: _has(b, "suspended"), within=30)
    status, page = await _post(people["alex"], subnet, "After (marker SU2)")
    assert status == 400 and "suspended from this subnet until" in page
    assert "Repeated unkind replies." in page
    _, notices = await people["alex"].get("/notices")
    assert "Repeated unkind replies." in notices

    fields = {"subnet": subnet, "action": "lift", "target": alex}
    status, _ = await people["dr-ahmed"].submit(subnet_path(subnet), "/moderate/act", fields)
    assert status == 200
    await eventually(lambda: _has(b, "suspended", 0), within=30)
    status, _ = await _post(people["alex"], subnet, "Back again (marker SU3)")
    assert status == 200
    _, notices = await people["alex"].get("/notices")
    assert "a moderator lifted your suspension" in notices
    await eventually(lambda: shows(people["sam"], subnet, "marker SU3"), within=30)


async def test_removing_a_member_asks_for_a_reason_and_keeps_it(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await _with_alex(start_node, browser)
    alex = await b.member_uri("alex", subnet)
    fields = {"subnet": subnet, "action": "remove_member", "target": alex, "reason": ""}
    status, page = await people["dr-ahmed"].submit(
        f"/moderate/confirm?subnet={subnet}&action=remove_member&target={alex}",
        "/moderate/act",
        fields,
    )
    assert status == 400 and "Write a reason" in page
    assert await a.members_in(subnet) == 4
    fields["reason"] = "Asked to leave by their care team."
    status, _ = await people["dr-ahmed"].submit(subnet_path(subnet), "/moderate/act", fields)
    assert status == 200
    await eventually(lambda: _members(a, subnet, 3), within=30)
    await eventually(lambda: _members(b, subnet, 1), within=30)  # nurse-kim stays
    _, notices = await people["alex"].get("/notices")
    assert "A moderator removed you from" in notices
    removed = [row for row in await _all_sanctions(a) if row.kind == "removed"]
    assert [row.reason for row in removed] == ["Asked to leave by their care team."]


async def _all_sanctions(node: TestNode) -> list[Sanction]:
    async with node.db.transaction() as s:
        return list((await s.scalars(select(Sanction))).all())
