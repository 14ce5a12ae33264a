"""The Deliverer's promises, against a real inbox on loopback that answers what the test says:
2xx is done; 429 and 5xx wait (Retry-After honoured, else exponential backoff with jitter);
other 4xx fail at once; a peer that stops answering is marked dead, rests, is probed, and
when it answers again its backlog goes at once. Time is a clock the test moves."""

from __future__ import annotations

import asyncio
import json
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
from federation.client import FetchError, SignedClient
from federation.delivery import DEAD_AFTER, DEAD_PROBE, MAX_ATTEMPTS, Deliverer, new_delivery
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
    slow_creates: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    handled: list[str] = field(default_factory=list)
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/inbox"

    async def handle(self, request: web.Request) -> web.Response:
        activity = json.loads(await request.read())
        self.received += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        slow = activity["type"] == "Create" and self.slow_creates
        await asyncio.sleep(self.slow_creates if slow else self.delay)
        self.in_flight -= 1
        self.handled.append(f"{activity['type']} {activity.get('object', '')}".strip())
        if "garbage-answer" in activity["id"] and request.transport is not None:
            request.transport.write(b"\x00\xffthis is not HTTP\r\n\r\n")  # and hang up
            request.transport.close()
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
        await self.queue_activities(
            [{"id": f"{self.node.url}/activities/{new_id()}", "type": "Note"} for _ in range(count)]
        )

    async def queue_activities(self, activities: list[dict[str, str]]) -> None:
        """Queue these activities, in this order, as the fan-out would."""
        peer = await self.peer()
        async with self.node.db.transaction() as s:
            await queues.add_deliveries(
                s,
                [
                    new_delivery(peer, activity, f"{self.node.url}/actor", self.clock())
                    for activity in activities
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


def _poisoned_rows_raise(queue: str, row: object) -> None:
    """The test's fault hook: sending a row whose activity id says "poison" raises."""
    if queue == "delivery" and isinstance(row, Delivery) and "poison" in row.activity["id"]:
        raise FetchError("injected")  # once, it aborted the whole batch


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
            faults=_poisoned_rows_raise,
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


def _activity(node_url: str, kind: str, object_uri: str = "", tag: str = "") -> dict[str, str]:
    activity = {"id": f"{node_url}/activities/{tag}{new_id()}", "type": kind}
    return activity | ({"object": object_uri} if object_uri else {})


async def test_a_garbage_answer_costs_only_its_own_delivery_an_attempt(rig: Rig) -> None:
    """A peer answering one delivery with bytes that are not HTTP: that row alone is retried."""
    url = rig.node.url
    await rig.queue_activities(
        [
            _activity(url, "Note"),
            _activity(url, "Note", tag="garbage-answer-"),
            _activity(url, "Note"),
        ]
    )
    assert await rig.deliverer.send_due() == 3
    rows = {row.activity["id"]: row for row in await rig.rows()}
    [bad] = [row for key, row in rows.items() if "garbage-answer" in key]
    assert bad.state == "pending" and bad.attempts == 1 and bad.last_error is not None
    assert bad.locked_until is None and bad.next_attempt_at > rig.clock()
    assert sorted(row.state for row in rows.values()) == ["done", "done", "pending"]


async def test_an_exception_sending_one_row_costs_it_one_attempt_then_it_fails_for_good(
    rig: Rig,
) -> None:
    url = rig.node.url
    await rig.queue_activities(
        [_activity(url, "Note"), _activity(url, "Note", tag="poison-"), _activity(url, "Note")]
    )
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await rig.deliverer.send_due() >= 1
        [bad] = [row for row in await rig.rows() if "poison" in row.activity["id"]]
        assert bad.attempts == attempt and bad.last_error == "FetchError"
        rig.clock.now = bad.next_attempt_at
    assert bad.state == "failed"
    assert rig.inbox.received == 2  # the neighbours, once each
    assert sorted(row.state for row in await rig.rows()) == ["done", "done", "failed"]
    rig.clock.advance(timedelta(days=30))
    assert await rig.deliverer.send_due() == 0


async def test_a_delete_never_overtakes_the_create_of_its_object(rig: Rig) -> None:
    """The peer is slow with the Create; with 8 in flight the Delete would be handled first.
    Deliveries about one object to one peer go one at a time, in order; others do not wait."""
    rig.inbox.slow_creates = 0.5
    url, post = rig.node.url, f"{rig.node.url}/posts/{new_id()}"
    await rig.queue_activities(
        [
            _activity(url, "Create", post),
            _activity(url, "Update", post),
            _activity(url, "Like", f"{url}/posts/other"),
            _activity(url, "Delete", post),
        ]
    )
    assert await rig.deliverer.send_due() == 2  # the Create and the unrelated Like
    assert await rig.deliverer.send_due() == 1  # then the Update
    assert await rig.deliverer.send_due() == 1  # then the Delete
    about_post = [line for line in rig.inbox.handled if line.endswith(post)]
    assert about_post == [f"Create {post}", f"Update {post}", f"Delete {post}"]
    assert rig.inbox.handled[0].startswith("Like")  # it did not wait for the slow Create


async def test_a_delivery_waiting_to_retry_holds_back_later_ones_about_its_object(rig: Rig) -> None:
    rig.inbox.script = [(503, {})]
    url, post = rig.node.url, f"{rig.node.url}/posts/{new_id()}"
    await rig.queue_activities([_activity(url, "Create", post), _activity(url, "Delete", post)])
    assert await rig.deliverer.send_due() == 1
    rig.clock.advance(timedelta(hours=1))
    assert await rig.deliverer.send_due() == 1
    assert await rig.deliverer.send_due() == 1
    assert rig.inbox.handled == [f"Create {post}", f"Create {post}", f"Delete {post}"]
