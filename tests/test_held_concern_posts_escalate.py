"""Issue 10: "an alert not acknowledged within N minutes (default 15) escalates" — concern
alerts too. A concern post held for the team (every concern post in a subnet whose audience is
under 18) is seen by nobody but its author until a clinician looks (hazard H5, "an alert is
raised but nobody looks at it")."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from conftest import BrowserFactory, MovableClock, StartNode, eventually, subnet_path
from sqlalchemy import select
from test_crisis_alerts import EverythingWorries

from actors.retention import PolicyChange
from node import manage
from storage.models import Alert, Post


async def test_an_unacknowledged_alert_on_a_held_concern_post_escalates(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    clock = MovableClock()
    node = await start_node("Home Trust", clock=clock, screener=EverythingWorries())
    await node.add_user("teen", "patient", "Teen")
    await node.add_user("nurse-kim", "clinician", "Nurse Kim")
    subnet = await manage.subnet_create(node.directory, "camhs", "CAMHS teens")
    await manage.subnet_policy(node.directory, "camhs", PolicyChange(audience="under_18"))
    await manage.subnet_add(node.directory, "camhs", "teen")
    teen = browser(node)
    await teen.sign_in("teen")
    await teen.submit(
        subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": "nobody gets it"}
    )
    async with node.db.transaction() as s:
        (post,) = (await s.execute(select(Post))).scalars().all()
        (alert,) = (await s.execute(select(Alert))).scalars().all()
    assert post.moderation_state == "screened" and alert.level == "concern"
    clock.advance(timedelta(minutes=16))
    await asyncio.sleep(4.5)  # a pass or two of the pager

    async def escalated() -> bool:
        async with node.db.transaction() as s:
            return (await s.get(Alert, alert.id)).escalated_at is not None  # type: ignore[union-attr]

    await eventually(escalated, within=5)
