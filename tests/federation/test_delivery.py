"""The Deliverer's promises, against a real inbox on loopback that answers what the test says:
2xx is done; 429 and 5xx wait (Retry-After honoured, else exponential backoff with jitter);
other 4xx fail at once; a peer that stops answering is marked dead, rests, is probed, and
when it answers again its backlog goes at once. Time is a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from conftest import StartNode, TestNode, free_port
from sqlalchemy import select

from actors.clock import utcnow
from actors.ids import LocalIds
from federation.client import SignedClient
from federation.delivery import DEAD_AFTER, DEAD_PROBE, Deliverer
from federation.keys import NodeKeys
from node.cli import main
from storage import queues
from storage.models import Delivery, Peer, new_id


@dataclass
class Inbox:
    """A peer's shared inbox that answers `script` in turn (then `default`), and counts."""

    port: int
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default: tuple[int, dict[str, str]] = (202, {})
    received: int = 0
    delay: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/inbox"

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.received += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(self.delay)
        self.in_flight -= 1
        status, headers = self.script.pop(0) if self.script else self.default
        return web.Response(status=status, headers=headers)

    async def up(self) -> None:
        app = web.Application()
        app.router.add_post("/inbox", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Rig:
    node: TestNode
    inbox: Inbox
    clock: Clock
    deliverer: Deliverer
    peer_id: str

    async def queue(self, count: int = 1) -> None:
        async with self.node.db.transaction() as s:
            await queues.add_deliveries(
                s,
                [
                    Delivery(
                        id=new_id(),
                        peer_id=self.peer_id,
                        inbox=self.inbox.url,
                        activity={"id": f"{self.node.url}/activities/{new_id()}", "type": "Note"},
                        signer=f"{self.node.url}/actor",
                        next_attempt_at=self.clock(),
                        created_at=self.clock(),
                    )
                    for _ in range(count)
                ],
            )

    async def rows(self) -> list[Delivery]:
        async with self.node.db.transaction() as s:
            return list((await s.scalars(select(Delivery))).all())

    async def peer(self) -> Peer:
        async with self.node.db.transaction() as s:
            peer = await s.get(Peer, self.peer_id)
            assert peer is not None
            return peer


@pytest.fixture
async def rig(start_node: StartNode) -> AsyncIterator[Rig]:
    node = await start_node("Sender", run_workers=False)
    inbox = Inbox(free_port())
    await inbox.up()
    clock = Clock()
    peer = Peer(
        id=new_id(),
        url=f"http://127.0.0.1:{inbox.port}",
        host=f"127.0.0.1:{inbox.port}",
        name="Receiver",
        instance_actor=f"http://127.0.0.1:{inbox.port}/actor",
        shared_inbox=inbox.url,
        key_fingerprint="SHA256:unused",
        signature_schemes=["cavage"],
        added_at=clock(),
    )
    async with node.db.transaction() as s:
        s.add(peer)
    async with aiohttp.ClientSession() as http:
        keys = NodeKeys.load(node.directory)
        deliverer = Deliverer(
            node.db,
            LocalIds(node.url),
            keys,
            SignedClient(http, keys, clock, timeout=2.0),
            clock,
            asyncio.Event(),
        )
        yield Rig(node, inbox, clock, deliverer, peer.id)
    await inbox.down()


async def test_a_2xx_answer_marks_the_delivery_done_and_the_peer_healthy(rig: Rig) -> None:
    await rig.queue(3)
    assert await rig.deliverer.send_due() == 3
    assert {row.state for row in await rig.rows()} == {"done"}
    assert rig.inbox.received == 3
    assert (await rig.peer()).last_success_at == rig.clock()


async def test_requests_in_flight_to_one_peer_are_bounded(rig: Rig) -> None:
    rig.inbox.delay = 0.05
    await rig.queue(30)
    assert await rig.deliverer.send_due() == 30
    assert 1 < rig.inbox.most_in_flight <= rig.deliverer.per_peer
    assert {row.state for row in await rig.rows()} == {"done"}


async def test_429_retry_after_is_honoured_then_the_delivery_succeeds(rig: Rig) -> None:
    rig.inbox.script = [(429, {"Retry-After": "120"})]
    await rig.queue()
    await rig.deliverer.send_due()
    [row] = await rig.rows()
    assert row.state == "pending" and row.last_status == 429
    assert row.next_attempt_at == rig.clock() + timedelta(seconds=120)
    rig.clock.advance(timedelta(seconds=119))
    assert await rig.deliverer.send_due() == 0
    rig.clock.advance(timedelta(seconds=2))
    assert await rig.deliverer.send_due() == 1
    [row] = await rig.rows()
    assert row.state == "done" and row.attempts == 2


async def test_a_permanent_4xx_fails_the_delivery_at_once(rig: Rig) -> None:
    rig.inbox.script = [(403, {})]
    await rig.queue()
    await rig.deliverer.send_due()
    [row] = await rig.rows()
    assert row.state == "failed" and row.last_status == 403 and row.attempts == 1
    rig.clock.advance(timedelta(days=2))
    assert await rig.deliverer.send_due() == 0


async def test_5xx_backs_off_exponentially_with_jitter(rig: Rig) -> None:
    rig.inbox.default = (503, {})
    await rig.queue()
    waits = []
    for _ in range(4):
        before = rig.clock()
        await rig.deliverer.send_due()
        [row] = await rig.rows()
        waits.append((row.next_attempt_at - before).total_seconds())
        rig.clock.now = row.next_attempt_at
    for attempt, wait in enumerate(waits, start=1):
        base = 30 * 2 ** (attempt - 1)
        assert 0.75 * base <= wait <= 1.25 * base
    assert (await rig.peer()).state == "active"


async def test_a_peer_that_stops_answering_is_marked_dead_probed_and_caught_up(
    rig: Rig,
) -> None:
    await rig.inbox.down()
    await rig.queue()
    for _ in range(DEAD_AFTER):
        await rig.deliverer.send_due()
        [row] = await rig.rows()
        rig.clock.now = row.next_attempt_at
    peer = await rig.peer()
    assert peer.state == "dead"
    await rig.queue(4)
    await rig.inbox.up()
    rig.clock.now = peer.last_failure_at + DEAD_PROBE - timedelta(seconds=1)
    assert await rig.deliverer.send_due() == 0  # resting: not even the new rows are tried
    assert rig.inbox.received == 0
    rig.clock.now = peer.last_failure_at + DEAD_PROBE
    assert await rig.deliverer.send_due() == 1  # one probe; it is answered
    assert (await rig.peer()).state == "active"
    assert await rig.deliverer.send_due() == 4  # the backlog, at once
    assert {row.state for row in await rig.rows()} == {"done"}
    assert rig.inbox.received == 5


async def test_peer_list_shows_each_peers_health(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    rig.inbox.default = (503, {})
    await rig.queue(2)
    await rig.deliverer.send_due()
    assert await asyncio.to_thread(main, ["peer", "list", str(rig.node.directory)]) == 0
    line = capsys.readouterr().out.strip()
    assert "Receiver" in line and "state=active" in line and "queued=2" in line
    assert "last_success=never" in line and f"last_failure={rig.clock().isoformat()[:19]}" in line
