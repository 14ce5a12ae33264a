""" "Your data": who read my personal details, by role and trust and day (no URIs); which
partner trusts read my posts, and when; removed posts labelled with why."""

from __future__ import annotations

import json

from conftest import BrowserFactory, StartNode, act, eventually, host_and_partner, shows, write
from sqlalchemy import select

from actors import details, notices
from actors.clock import utcnow
from actors.ids import LocalIds
from actors.notices import NoticeKind
from storage.models import Person


async def test_your_data_names_roles_trusts_and_days_and_why_posts_were_removed(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, people = await host_and_partner(start_node, browser)
    sam, alex_reader = people["sam"], people["nurse-kim"]
    ids = LocalIds(a.url)
    async with a.db.transaction() as s:
        found = await s.scalars(select(Person).where(Person.username.in_(["sam", "dr-ahmed"])))
        by_name = {person.username: person for person in found}
        for _ in range(2):
            await details.read_details(
                s, ids, viewer=by_name["dr-ahmed"], person_id=by_name["sam"].id, now=utcnow()
            )

    await write(sam, subnet, "Read at the partner (marker D1)")
    await eventually(lambda: shows(alex_reader, subnet, "marker D1"))
    await write(sam, subnet, "I will delete this (marker D2)")
    await write(sam, subnet, "A moderator removes this (marker D3)")
    mine = await a.post_uri("I will delete this (marker D2)")
    removed = await a.post_uri("A moderator removes this (marker D3)")
    assert await act(sam, subnet, "/posts/delete", {"object": mine}) == 200
    assert await act(people["dr-ahmed"], subnet, "/posts/delete", {"object": removed}) == 200
    async with a.db.transaction() as s:
        assert await notices.tell_author(
            s,
            ids,
            post_uri=removed,
            kind=NoticeKind.POST_REMOVED,
            reason="It named another member (marker D4).",
            now=utcnow(),
        )

    status, html = await sam.get("/account/data")
    assert status == 200
    assert "A clinician at Host Trust read them (2 times)" in html
    assert "/people/" not in html and "/members/" not in html  # no opaque URIs
    assert "in Carers was read at Partner Trust" in html
    assert "You deleted it." in html
    assert "Removed by a moderator. Reason: It named another member (marker D4)." in html
    assert "by a clinician at Host Trust" in html

    _, raw = await sam.get("/account/data.json")
    data = json.loads(raw)
    assert data["details_seen_by_day"][0]["role"] == "clinician"
    assert data["details_seen_by_day"][0]["times"] == 2
    assert {row["trust"] for row in data["read_by_partners_by_day"]} == {"Partner Trust"}
    (removal,) = [row for row in data["notices"] if row["kind"] == "post_removed"]
    assert removal["reason"] == "It named another member (marker D4)."
    assert list(data["last_visits"]) == ["Carers"]
