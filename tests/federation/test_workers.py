"""The queue engine's promises, with failures injected into real nodes talking real HTTP: an
exception while handling one item costs that item one attempt and never its neighbours; after
the bound the item is `failed` with its error's type recorded; periodic jobs outlive their
failures; a background task that dies is logged and restarted. Faults come in through the
node's explicit `faults` hook (production passes none), or from a peer that sends a bad key."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from conftest import StartNode, TestNode, eventually, peer_all
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from test_operations import TOKEN, get_json, scrape, value
from test_readiness_without_database import bring_back, take_away

from actors.clock import utcnow
from federation.delivery import PLANNING_ATTEMPTS
from federation.processing import MAX_ATTEMPTS
from federation.workers import Periodic, RetryPolicy
from node import manage
from node.app import DELIVERER, HOUSEKEEPER, PROCESSOR, SUPERVISOR
from storage.models import Event, InboxItem, new_id


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def raising_for(queue: str, marked: Callable[[Any], bool]) -> tuple[Callable[..., None], list[Any]]:
    """A fault hook that raises RuntimeError for `queue`'s rows that are `marked`; it lists
    every row it raised for."""
    hits: list[Any] = []

    def faults(name: str, row: Any) -> None:
        if name == queue and marked(row):
            hits.append(row)
            raise RuntimeError("injected; this text must not be recorded")

    return faults, hits


async def _post(sender: TestNode, receiver: TestNode, activity: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http:
        response = await sender.signed_client(http).post(
            f"{receiver.url}/inbox", activity, signer=f"{sender.url}/actor", scheme="rfc9421"
        )
    assert response.status == 202, response.body[:200]


def _delete(sender: TestNode, tag: str = "") -> dict[str, Any]:
    """A Delete of a post of `sender`'s that the receiver never heard of: harmless to handle."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.url}/activities/{tag}{new_id()}",
        "type": "Delete",
        "actor": f"{sender.url}/actor",
        "object": {"id": f"{sender.url}/posts/{new_id()}", "type": "Tombstone"},
    }


async def _items(node: TestNode) -> dict[str, InboxItem]:
    async with node.db.transaction() as s:
        rows = (await s.scalars(select(InboxItem))).all()
    return {row.activity_id: row for row in rows}


async def test_an_exception_handling_one_inbox_item_costs_only_it_until_it_fails(
    start_node: StartNode,
) -> None:
    clock = Clock()
    faults, hits = raising_for("processing", lambda item: "poison" in item.activity_id)
    a = await start_node("Sending Trust")
    b = await start_node(
        "Receiving Trust", run_workers=False, clock=clock, faults=faults, metrics_token=TOKEN
    )
    await peer_all(a, b)
    sent = [_delete(a), _delete(a, "poison-"), _delete(a)]
    poison = await _between_good_neighbours(a, b, sent)
    processor = b.runner.app[PROCESSOR]
    assert poison.state == "pending" and poison.attempts == 1 and poison.locked_until is None
    assert poison.last_error == "RuntimeError"  # the type, never the text
    assert poison.next_attempt_at > clock()

    assert await processor.run_once() == 0  # not due yet: its backoff is respected
    for attempt in range(2, MAX_ATTEMPTS + 1):
        clock.now = poison.next_attempt_at
        assert await processor.run_once() == 1
        poison = (await _items(b))[sent[1]["id"]]
        assert poison.attempts == attempt
    assert poison.state == "failed" and poison.last_error == "RuntimeError"
    assert len(hits) == 1 + MAX_ATTEMPTS  # in the batch once (undone whole), then alone
    clock.now += timedelta(days=30)
    assert await processor.run_once() == 0  # failed for good: never taken again
    assert "must not be recorded" not in await b.all_rows_text()
    # /metrics counts the two done, every failed attempt, and the one final failure.
    samples = await scrape(b)
    assert value(samples, "sharon_queue_items_total", queue="processing", outcome="done") == 2
    assert value(samples, "sharon_queue_items_total", queue="processing", outcome="failed") == 1
    assert value(samples, "sharon_queue_failed_attempts_total", queue="processing") == MAX_ATTEMPTS


async def _between_good_neighbours(
    a: TestNode, b: TestNode, sent: list[dict[str, Any]]
) -> InboxItem:
    """Send three activities from A to B, have B process them as one batch, check the first
    and last are done; returns B's row of the middle one."""
    for activity in sent:
        await _post(a, b, activity)
    await eventually(lambda: _count_items(b, 3))
    assert await b.runner.app[PROCESSOR].run_once() == 3
    items = await _items(b)
    assert [items[sent[0]["id"]].state, items[sent[2]["id"]].state] == ["done", "done"]
    return items[sent[1]["id"]]


async def _count_items(node: TestNode, n: int) -> bool:
    return len(await _items(node)) == n


async def _done(node: TestNode, activity_id: str) -> bool:
    try:
        items = await _items(node)
    except DBAPIError:  # a pooled connection from before an outage fails once, then is dropped
        return False
    item = items.get(activity_id)
    return item is not None and item.state == "done"


async def test_the_database_gone_for_five_seconds_loses_no_work_and_the_node_keeps_serving(
    start_node: StartNode,
) -> None:
    a, b = await start_node("Sending Trust"), await start_node("Receiving Trust")
    await peer_all(a, b)
    before = _delete(a)
    await _post(a, b, before)
    await eventually(lambda: _done(b, before["id"]))
    supervisor = b.runner.app[SUPERVISOR]
    tasks = dict(supervisor.tasks)
    await take_away(b)
    try:
        async with aiohttp.ClientSession() as http:
            during = await a.signed_client(http).post(
                f"{b.url}/inbox", _delete(a), signer=f"{a.url}/actor", scheme="rfc9421"
            )
        assert during.status == 503 and b"send it again later" in during.body
        await asyncio.sleep(5)  # every worker meets the outage: claims and writes fail
        assert await get_json(b, "/healthz") == (200, {"status": "alive"})
        assert (await get_json(b, "/readyz"))[0] == 503
    finally:
        await bring_back(b)
    after = _delete(a)
    await _post(a, b, after)
    await eventually(lambda: _done(b, after["id"]))
    items = await _items(b)
    assert set(items) == {before["id"], after["id"]}  # the refused one left nothing behind
    assert all(item.state == "done" for item in items.values())
    assert supervisor.tasks == tasks  # the same tasks: none died of the outage
    assert all(not task.done() for task in tasks.values())


async def test_a_claimed_batch_is_handled_by_chunks_and_a_failure_redoes_only_its_chunk(
    start_node: StartNode,
) -> None:
    """A claimed batch is not one long transaction (on SQLite it would hold every process's
    write turn for its whole length): it is handled `chunk` rows at a time, so a failing row
    makes only its own chunk's rows be redone one by one."""
    handled: list[str] = []

    def faults(name: str, row: Any) -> None:
        if name == "processing":
            handled.append(row.activity_id)
            if "poison" in row.activity_id:
                raise RuntimeError("injected")

    a = await start_node("Sending Trust")
    b = await start_node("Receiving Trust", run_workers=False, faults=faults)
    await peer_all(a, b)
    sent = [_delete(a), _delete(a), _delete(a, "poison-"), _delete(a), _delete(a)]
    for activity in sent:
        await _post(a, b, activity)
    await eventually(lambda: _count_items(b, len(sent)))
    processor = b.runner.app[PROCESSOR]
    processor.worker.chunk = 2
    assert await processor.run_once() == len(sent)
    ids = [activity["id"] for activity in sent]
    # chunks [0 1] [2 3] [4]: the poisoned chunk fails at its first row, then its rows go
    # alone; handled as one batch, rows 0 and 1 would have been redone too
    assert handled == [ids[0], ids[1], ids[2], ids[2], ids[3], ids[4]]
    states = {key: item.state for key, item in (await _items(b)).items()}
    assert [states[key] for key in ids] == ["done", "done", "pending", "done", "done"]


async def test_a_bad_key_document_from_a_peer_fails_its_item_and_no_other(
    start_node: StartNode,
) -> None:
    """A peer's self-Update whose key does not parse once raised ValueError out of the worker's
    error handling: the item was retried every lease (2 minutes), forever."""
    clock = Clock()
    a = await start_node("Sending Trust")
    b = await start_node("Receiving Trust", run_workers=False, clock=clock)
    await peer_all(a, b)
    async with aiohttp.ClientSession() as http, http.get(f"{a.url}/actor") as response:
        actor = await response.json(content_type=None)
    actor["publicKey"]["publicKeyPem"] = (
        "-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----"
    )
    context = actor.pop("@context")
    update = {
        "@context": context,
        "id": f"{a.url}/activities/{new_id()}",
        "type": "Update",
        "actor": f"{a.url}/actor",
        "object": actor,
    }
    bad = await _between_good_neighbours(a, b, [_delete(a), update, _delete(a)])
    processor = b.runner.app[PROCESSOR]
    assert bad.state == "pending" and bad.attempts == 1 and bad.locked_until is None
    assert bad.last_error == "ValueError"
    while bad.state == "pending":
        clock.now = bad.next_attempt_at
        assert await processor.run_once() == 1
        bad = (await _items(b))[update["id"]]
    assert bad.state == "failed" and bad.attempts == MAX_ATTEMPTS
    assert "garbage" not in await b.all_rows_text(skip=("inbox_item",))  # the bad key not kept


async def test_an_exception_planning_one_event_costs_only_it_until_it_fails(
    start_node: StartNode,
) -> None:
    clock = Clock()
    faults, hits = raising_for("planning", lambda event: event.payload.get("slug") == "poisoned")
    a = await start_node("Hosting Trust", run_workers=False, clock=clock, faults=faults)
    b = await start_node("Partner Trust")
    await peer_all(a, b)
    for slug in ("poisoned", "fine"):
        await manage.subnet_create(a.directory, slug, slug.title())
        await manage.subnet_share(a.directory, slug, b.url)
    deliverer = a.runner.app[DELIVERER]
    clock.now = utcnow()  # the events were written at this hour

    assert await deliverer.fan_out() >= 2
    assert await deliverer.send_due() >= 1

    async def offered() -> list[str]:
        return [offer.subnet_uri for offer, _ in await manage.share_list(b.directory)]

    await eventually(lambda: _has(offered, f"{a.url}/subnets/fine"))
    assert f"{a.url}/subnets/poisoned" not in await offered()
    for attempt in range(1, PLANNING_ATTEMPTS + 1):
        event = await _poisoned_event(a)
        assert event.attempts == attempt and event.last_error == "RuntimeError"
        clock.now = event.next_attempt_at
        if event.state == "pending":
            assert await deliverer.fan_out() == 1
    event = await _poisoned_event(a)
    assert event.state == "failed" and len(hits) == 1 + PLANNING_ATTEMPTS
    clock.now += timedelta(days=30)
    assert await deliverer.fan_out() == 0


async def _has(values: Callable[[], Any], wanted: str) -> bool:
    return wanted in await values()


async def _poisoned_event(node: TestNode) -> Event:
    async with node.db.transaction() as s:
        events = (await s.scalars(select(Event))).all()
    [event] = [e for e in events if e.payload.get("slug") == "poisoned"]
    return event


async def test_housekeeping_outlives_its_failures(
    start_node: StartNode, caplog: pytest.LogCaptureFixture
) -> None:
    failing = {"left": 4}

    def faults(name: str, row: Any) -> None:
        if name == "housekeeping" and failing["left"] > 0:
            failing["left"] -= 1
            raise RuntimeError("injected; this text must not be logged")

    a = await start_node("Trust", faults=faults)
    supervisor = a.runner.app[SUPERVISOR]
    await eventually(lambda: _true(failing["left"] == 3))  # its first pass, at start, raised
    task = supervisor.task("housekeeping")
    assert task is not None and not task.done()

    job = Periodic(
        "housekeeping",
        a.runner.app[HOUSEKEEPER].tidy,
        utcnow,
        every=timedelta(milliseconds=50),
        policy=RetryPolicy(max_attempts=2, first=timedelta(milliseconds=10)),
    )
    runs: list[bool] = []

    async def watch() -> None:
        while True:
            runs.append(await job.run_once())
            await asyncio.sleep(0.01)

    with caplog.at_level(logging.WARNING, logger="federation.workers"):
        watcher = asyncio.create_task(watch())
        await eventually(lambda: _true(runs[-2:] == [True, True]))
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):  # its rollback ends before the
            await watcher  # database closes, or the loop's shutdown would wait on it forever
    assert runs[:3] == [False, False, False] and job.failures == 0
    failures = [r for r in caplog.records if "housekeeping failed" in r.getMessage()]
    assert any(r.levelno == logging.ERROR for r in failures)  # past its bound: an error
    assert all("RuntimeError" in r.getMessage() for r in failures)
    assert "must not be logged" not in caplog.text
    assert not task.done()


async def _true(value: bool) -> bool:
    return value


async def test_a_killed_background_task_is_logged_and_restarted(
    start_node: StartNode, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = await start_node("Hosting Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    supervisor = a.runner.app[SUPERVISOR]
    killed = supervisor.task("delivery")
    assert killed is not None
    with caplog.at_level(logging.ERROR, logger="federation.workers"):
        killed.cancel()
        await eventually(lambda: _true(supervisor.task("delivery") is not killed))
    assert supervisor.restarts["delivery"] == 1
    assert "background task delivery was cancelled; restarting" in caplog.text
    replacement = supervisor.task("delivery")
    assert replacement is not None and replacement is not killed and not replacement.done()

    # the restarted worker delivers: a share offer reaches the partner
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_share(a.directory, "carers", b.url)

    async def offered() -> bool:
        return any(o.subnet_uri == subnet for o, _ in await manage.share_list(b.directory))

    await eventually(offered)


async def test_a_background_task_that_raises_is_restarted(
    start_node: StartNode, caplog: pytest.LogCaptureFixture
) -> None:
    a = await start_node("Trust")
    supervisor = a.runner.app[SUPERVISOR]
    starts: list[int] = []

    async def flaky() -> None:
        starts.append(1)
        if len(starts) == 1:
            raise KeyError("injected; this text must not be logged")
        await asyncio.Event().wait()

    with caplog.at_level(logging.ERROR, logger="federation.workers"):
        supervisor.start("flaky", flaky)
        await eventually(lambda: _true(len(starts) == 2))
    assert "background task flaky died: error=KeyError; restarting" in caplog.text
    assert "must not be logged" not in caplog.text
    task = supervisor.task("flaky")
    assert task is not None and not task.done() and supervisor.restarts["flaky"] == 1


async def test_a_worker_woken_as_it_is_cancelled_still_stops(start_node: StartNode) -> None:
    a = await start_node("Trust")
    supervisor = a.runner.app[SUPERVISOR]
    worker = a.runner.app[PROCESSOR].worker
    running = supervisor.task("processing")
    assert running is not None
    await asyncio.sleep(worker.idle * 2)  # idle: waiting to be woken
    worker.wake.set()
    running.cancel()
    await asyncio.wait([running], timeout=3)
    assert running.done(), "the worker swallowed its cancellation and would hang shutdown"
