"""The paging webhook and escalation, against a real HTTP server on loopback: each call is
HMAC-SHA256 signed and carries no text or personal data; failures are retried on the node's
clock and recorded for admins; an urgent alert nobody acknowledged within the escalation time
escalates (red, shown to admins, a call to the escalation webhook). Time is a clock the test
moves."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiohttp import web
from conftest import (
    BrowserFactory,
    MovableClock,
    StartNode,
    TestNode,
    eventually,
    free_port,
    subnet_path,
)
from sqlalchemy import select

from node import manage
from storage.models import Alert, Page

SECRET = "a-shared-secret-of-some-length"
CRISIS = "ctb tonight, sorry everyone (marker W5R2)"


@dataclass
class Pager:
    """The trust's paging system: answers `script` in turn (then 200) and keeps every call."""

    port: int
    script: list[int] = field(default_factory=list)
    calls: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((request.path, dict(request.headers), await request.read()))
        return web.Response(status=self.script.pop(0) if self.script else 200)

    async def up(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()


@pytest.fixture
async def pager() -> AsyncIterator[Pager]:
    receiver = Pager(free_port())
    await receiver.up()
    yield receiver
    if receiver.runner is not None:
        await receiver.runner.cleanup()


async def _node(start_node: StartNode, pager: Pager, clock: MovableClock) -> tuple[TestNode, str]:
    node = await start_node(
        "Home Trust",
        clock=clock,
        alert_webhook_url=pager.url("/page"),
        alert_escalation_url=pager.url("/escalate"),
        alert_webhook_secret=SECRET,
    )
    await node.add_user("pat", "patient", "Pat Pseudonym")
    await node.add_user("nurse-kim", "clinician", "Nurse Kim")
    await node.add_user("boss", "admin", "Boss")
    subnet = await manage.subnet_create(node.directory, "perinatal", "Perinatal")
    await manage.subnet_add(node.directory, "perinatal", "pat")
    return node, subnet


def _verified(headers: dict[str, str], body: bytes) -> dict[str, str]:
    stamp = headers["X-Sharon-Timestamp"]
    expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    assert hmac.compare_digest(headers["X-Sharon-Signature"], "sha256=" + expected.hexdigest())
    data: dict[str, str] = json.loads(body)
    return data


async def _pages(node: TestNode) -> list[Page]:
    async with node.db.transaction() as s:
        return list((await s.execute(select(Page).order_by(Page.created_at))).scalars())


async def test_urgent_alert_pages_signed_without_personal_data_and_retries(
    start_node: StartNode, browser: BrowserFactory, pager: Pager
) -> None:
    clock = MovableClock()
    node, subnet = await _node(start_node, pager, clock)
    pager.script = [503]  # the paging system is briefly down
    pat = browser(node)
    await pat.sign_in("pat")
    await pat.submit(subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": CRISIS})

    async def called(n: int) -> bool:
        return len(pager.calls) >= n

    async def refused_once() -> bool:  # the pager answered; the worker then records it
        return [p.attempts for p in await _pages(node)] == [1]

    await eventually(lambda: called(1))
    await eventually(refused_once)
    (row,) = await _pages(node)
    assert row.state == "pending" and row.attempts == 1 and row.last_status == 503
    assert row.next_attempt_at > clock()
    clock.advance(timedelta(minutes=2))
    await eventually(lambda: called(2))

    async def done() -> bool:
        return [p.state for p in await _pages(node)] == ["done"]

    await eventually(done)
    path, headers, body = pager.calls[-1]
    data = _verified(headers, body)
    async with node.db.transaction() as s:
        alert = (await s.execute(select(Alert))).scalar_one()
    assert path == "/page"
    assert data == {
        "alert": alert.id,
        "kind": "alert",
        "level": "urgent",
        "time": data["time"],
        "link": f"{node.url}/staff/alerts/{alert.id}",
    }
    for private in (b"W5R2", b"ctb", b"Pat", b"pat", b"perinatal", b"Perinatal", b"suicidal"):
        assert private not in body, private
    # A forged signature would not verify.
    with pytest.raises(AssertionError):
        _verified({**headers, "X-Sharon-Signature": "sha256=" + "0" * 64}, body)


async def test_unacknowledged_alert_escalates_after_fifteen_minutes_on_the_nodes_clock(
    start_node: StartNode, browser: BrowserFactory, pager: Pager
) -> None:
    clock = MovableClock()
    node, subnet = await _node(start_node, pager, clock)
    pat, kim, boss = browser(node), browser(node), browser(node)
    for person, username in ((pat, "pat"), (kim, "nurse-kim"), (boss, "boss")):
        await person.sign_in(username)
    await pat.submit(subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": CRISIS})
    second = "going to kill myself tonight (marker Q8V6)"
    await pat.submit(subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": second})
    async with node.db.transaction() as s:
        rows = (await s.execute(select(Alert))).scalars().all()
    acknowledged = next(a for a in rows if a.id != rows[0].id)
    waiting = rows[0]
    await kim.submit(
        f"/staff/alerts/{acknowledged.id}",
        f"/staff/alerts/{acknowledged.id}",
        {"action": "acknowledge"},
    )
    _, admin_page = await boss.get("/staff/alerts")
    assert "Urgent:" not in admin_page  # nothing escalated yet

    clock.advance(timedelta(minutes=14))

    async def escalated() -> bool:
        async with node.db.transaction() as s:
            return (await s.get(Alert, waiting.id)).escalated_at is not None  # type: ignore[union-attr]

    await _a_pass_or_two()
    assert not await escalated()
    clock.advance(timedelta(minutes=1, seconds=5))
    await eventually(escalated)
    await eventually(lambda: _escalation_called(pager))
    _, headers, body = next(c for c in pager.calls if c[0] == "/escalate")
    data = _verified(headers, body)
    assert data["alert"] == waiting.id and data["kind"] == "escalation"
    async with node.db.transaction() as s:
        assert (await s.get(Alert, acknowledged.id)).escalated_at is None  # type: ignore[union-attr]
    await _a_pass_or_two()  # later passes do not escalate (or page) the same alert again
    assert len([call for call in pager.calls if call[0] == "/escalate"]) == 1

    # Admins now see it, in red, and the count in their header and title.
    _, admin_page = await boss.get("/staff/alerts")
    assert (
        "sharon-escalated" in admin_page and "Escalated: not acknowledged within 15" in admin_page
    )
    assert "<title>(1) " in admin_page
    status, one = await boss.get(f"/staff/alerts/{waiting.id}")
    assert status == 200 and "Escalated" in one and "Acknowledge" not in one
    _, kim_page = await kim.get("/staff/alerts")
    assert "sharon-escalated" in kim_page


async def test_a_refused_webhook_fails_at_once_and_admins_see_it(
    start_node: StartNode, browser: BrowserFactory, pager: Pager
) -> None:
    clock = MovableClock()
    node, subnet = await _node(start_node, pager, clock)
    pager.script = [401]  # a wrong secret, say
    pat, boss = browser(node), browser(node)
    await pat.sign_in("pat")
    await boss.sign_in("boss")
    await pat.submit(subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": CRISIS})

    async def failed() -> bool:
        return [p.state for p in await _pages(node)] == ["failed"]

    await eventually(failed)
    _, admin = await boss.get("/admin")
    assert "Paging webhook" in admin and "failed" in admin and "401" in admin
    clock.advance(timedelta(hours=1))
    await _a_pass_or_two()
    assert len([c for c in pager.calls if c[0] == "/page"]) == 1  # not retried


async def test_without_a_webhook_calls_are_skipped_not_failed(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    node = await start_node("Quiet Trust")
    await node.add_user("pat", "patient")
    subnet = await manage.subnet_create(node.directory, "carers", "Carers")
    await manage.subnet_add(node.directory, "carers", "pat")
    pat = browser(node)
    await pat.sign_in("pat")
    await pat.submit(subnet_path(subnet), "/subnet/posts", {"subnet": subnet, "content": CRISIS})

    async def skipped() -> bool:
        return [(p.state, p.last_error) for p in await _pages(node)] == [
            ("skipped", "no webhook configured")
        ]

    await eventually(skipped)
    pages = await _pages(node)
    assert [p.state for p in pages] == ["skipped"] and all(p.attempts <= 1 for p in pages)


async def _a_pass_or_two() -> None:
    """Give the node's pager a pass or two (it wakes every 2 s of real time)."""
    await asyncio.sleep(4.5)


async def _escalation_called(pager: Pager) -> bool:
    return any(path == "/escalate" for path, _, _ in pager.calls)
