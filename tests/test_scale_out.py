"""One node as several processes on one PostgreSQL database (`sharon serve` twice, each with its
web process and its worker): they share the work without doing any of it twice, survive one of
them being killed, and what one process holds in memory follows what another one did.

PostgreSQL only (skipped without SHARON_TEST_DATABASE_URL; `.ci/run` sets it)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from conftest import (
    PG_URL,
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    act,
    eventually,
    free_port,
    peer_all,
    share,
    shows,
    write,
)
from sqlalchemy import select

from federation.jsonld import CANONICAL_CONTEXT
from federation.keys import NodeKeys
from federation.signatures import sign_request
from node import manage
from storage.models import Delivery, InboxItem, PostRef

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: set SHARON_TEST_DATABASE_URL")

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "scale-out-metrics-token"
ACTIVITIES = 1000


def spawn(directory: Path, *args: str) -> subprocess.Popen[bytes]:
    with (directory / f"serve-{uuid.uuid4().hex[:6]}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "node.cli", "serve", str(directory), *args],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={
                **os.environ,
                "SHARON_METRICS_TOKEN": TOKEN,
                "SHARON_PEER_REQUESTS_PER_SECOND": "100000",  # the load is one peer's
                "SHARON_PEER_REQUEST_BURST": "100000",
            },
            start_new_session=True,  # a SIGKILL of the group takes its web and worker with it
        )


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def hand_over(node: TestNode) -> None:
    """Stop the node's in-process server: from now on its `sharon serve` processes serve it."""
    await node.runner.cleanup()
    node.runner = web.AppRunner(web.Application())
    await node.runner.setup()


async def answers(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def cache_entries(base: str) -> float:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics", headers=headers) as r:
        text = await r.text()
    found = re.search(r"^sharon_cache_entries (\S+)$", text, re.MULTILINE)
    assert found, "no sharon_cache_entries in /metrics"
    return float(found.group(1))


async def accepted_posts(base: str) -> float:
    """Signed POSTs to the inbox that this process answered 202 (duplicates included)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics", headers=headers) as r:
        text = await r.text()
    return sum(
        float(value)
        for value in re.findall(
            r'^sharon_inbox_requests_total\{[^}]*outcome="accepted"[^}]*\} (\S+)$',
            text,
            re.MULTILINE,
        )
    )


async def join_done(node: TestNode) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.execute(select(InboxItem.activity, InboxItem.state))).all()
    return any(state == "done" and activity["type"] == "Join" for activity, state in rows)


def signed_creates(
    sender: TestNode, actor: str, subnet: str, inbox: str
) -> list[tuple[str, bytes, dict[str, str]]]:
    """`ACTIVITIES` distinct Creates (by reference) from `actor`, signed as its node signs."""
    keys = NodeKeys.load(sender.directory)
    published = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    requests = []
    for _ in range(ACTIVITIES):
        activity = {
            "@context": list(CANONICAL_CONTEXT),
            "id": f"{sender.url}/activities/scale-{uuid.uuid4().hex}",
            "type": "Create",
            "actor": actor,
            "object": f"{sender.url}/posts/{uuid.uuid4().hex}",
            "target": subnet,
            "audience": subnet,
            "to": [subnet],
            "published": published,
        }
        body = json.dumps(activity, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/activity+json"}
        headers.update(
            sign_request(
                "POST",
                inbox,
                headers,
                body,
                key_id=f"{actor}#ed25519-key",
                private_key=keys.ed25519,
                scheme="rfc9421",
                now=datetime.now(UTC),
                expires_in=timedelta(minutes=30),
            )
        )
        requests.append((activity["object"], body, headers))
    return requests


async def deliveries_of(node: TestNode, objects: set[str]) -> list[tuple[str, str]]:
    """(object, state) of every Announce queued for one of `objects`."""
    async with node.db.transaction() as s:
        rows = (await s.execute(select(Delivery.activity, Delivery.state))).all()
    found = [(_id(activity.get("object")), state) for activity, state in rows]
    return [
        (obj, state)
        for (obj, state), (activity, _) in zip(found, rows, strict=True)
        if activity.get("type") == "Announce" and obj in objects
    ]


def _id(value: object) -> str:
    return str(value.get("id")) if isinstance(value, dict) else str(value)


async def announced_to(node: TestNode, objects: set[str]) -> set[str]:
    async with node.db.transaction() as s:
        rows = (await s.execute(select(InboxItem.activity))).scalars().all()
    return {_id(a.get("object")) for a in rows if a.get("type") == "Announce"} & objects


async def kill_holding_leases(database_url: str, process: subprocess.Popen[bytes]) -> set[str]:
    """SIGKILL `process` (its web and worker processes with it) and return the deliveries its
    worker held leased at that moment: the only ones that may be sent twice (a send whose
    outcome died with the worker). The delivery table is locked across the kill, so the
    surviving worker cannot take them over before they are read."""
    connection = await asyncpg.connect(database_url)
    try:
        owners = [
            row["pid"]
            for row in await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1",
                f"sharon worker pid=% parent={process.pid}",
            )
        ]
        assert owners, "the worker's listening connection is not in pg_stat_activity"
        async with connection.transaction():
            await connection.execute("LOCK TABLE delivery IN EXCLUSIVE MODE")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            rows = await connection.fetch(
                "SELECT id FROM delivery WHERE state = 'pending' AND locked_by = ANY($1::int[])",
                owners,
            )
        return {row["id"] for row in rows}
    finally:
        await connection.close()


async def test_two_serve_processes_take_1000_activities_once_each_through_a_kill_9(
    start_node: StartNode,
) -> None:
    sender = await start_node("Sending Trust", metrics_token=TOKEN)
    target = await start_node("Target Trust")
    await peer_all(sender, target)
    subnet = await manage.subnet_create(target.directory, "carers", "Carers")
    await share(target, "carers", sender)
    await sender.add_user("alex", "carer", "Alex")
    await manage.subnet_add(sender.directory, subnet, "alex")
    actor = await sender.member_uri("alex", subnet)
    await eventually(lambda: join_done(target), within=20)
    await hand_over(target)
    processes = [spawn(target.directory), spawn(target.directory)]  # one port, SO_REUSEPORT
    try:
        await eventually(lambda: answers(target.url), within=60)
        inbox = f"{target.url}/inbox"
        requests = signed_creates(sender, actor, subnet, inbox)
        objects = {obj for obj, _, _ in requests}
        posts_before = await accepted_posts(sender.url)
        items_before = await sender.count(InboxItem)
        accepted = 0
        limit = asyncio.Semaphore(16)

        async def post(http: aiohttp.ClientSession, body: bytes, headers: dict[str, str]) -> None:
            nonlocal accepted
            async with limit:
                for _ in range(100):  # a connection to the killed process fails: send again
                    try:
                        async with http.post(inbox, data=body, headers=headers) as response:
                            assert response.status == 202, (response.status, await response.text())
                            accepted += 1
                            return
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.1)
                pytest.fail("an activity was never accepted")

        async with aiohttp.ClientSession() as http:
            load = asyncio.gather(*(post(http, body, headers) for _, body, headers in requests))

            async def midway() -> bool:
                return accepted >= ACTIVITIES // 2

            await eventually(midway, within=60)
            in_flight = await kill_holding_leases(target.settings.database_url, processes[0])
            await load

        async def all_sent() -> bool:
            rows = await deliveries_of(target, objects)
            return len(rows) == ACTIVITIES and all(state == "done" for _, state in rows)

        await eventually(all_sent, within=90)
        async with target.db.transaction() as s:
            items = (
                await s.execute(select(InboxItem.activity["object"].as_string(), InboxItem.state))
            ).all()
        ours = [(obj, state) for obj, state in items if obj in objects]
        assert len(ours) == ACTIVITIES and {state for _, state in ours} == {"done"}
        delivered = await deliveries_of(target, objects)
        assert len({obj for obj, _ in delivered}) == ACTIVITIES  # each processed exactly once

        async def all_arrived() -> bool:
            return await announced_to(sender, objects) == objects

        await eventually(all_arrived, within=30)
        await asyncio.sleep(0.5)  # anything sent twice has had time to arrive
        posted = await accepted_posts(sender.url) - posts_before
        stored = await sender.count(InboxItem) - items_before
        assert posted - stored <= len(in_flight), "a delivery was sent twice by live workers"
    finally:
        stop_all(processes)


async def test_a_post_read_through_one_process_and_deleted_through_another_is_gone_from_both(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    home = await start_node("Home Trust")
    reader = await start_node("Reading Trust")
    await peer_all(home, reader)
    await home.add_user("sam", "carer", "Sam")
    await reader.add_user("alex", "carer", "Alex")
    carers = await manage.subnet_create(home.directory, "carers", "Carers")
    await share(home, "carers", reader)
    await manage.subnet_add(home.directory, "carers", "sam")
    await manage.subnet_add(reader.directory, carers, "alex")
    await eventually(lambda: join_done(home), within=20)
    await hand_over(reader)
    port_1 = free_port()
    processes = [
        spawn(reader.directory),  # process 2: the node's URL, where the home's Delete arrives
        spawn(reader.directory, "--web-only", "--bind", f"127.0.0.1:{port_1}"),  # process 1
    ]
    through_1 = f"http://127.0.0.1:{port_1}"
    try:
        await eventually(lambda: answers(reader.url), within=60)
        await eventually(lambda: answers(through_1), within=60)
        sam = browser(home)
        await sam.sign_in("sam")
        text = "Respite care made a real difference this week (marker SC4L3)"
        await write(sam, carers, text)
        post = await home.post_uri(text)

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            alex = Browser(http, through_1)
            await alex.sign_in("alex")
            await eventually(lambda: shows(alex, carers, text), within=30)
            assert await cache_entries(through_1) >= 1  # read through process 1: cached there

            assert await act(sam, carers, "/posts/delete", {"object": post}) == 200

            async def reference_gone() -> bool:
                return await reader.count(PostRef) == 0

            await eventually(reference_gone, within=20)  # the worker processed the Delete

            async def purged() -> bool:  # well within the cache's 300 s: it was told
                return await cache_entries(through_1) == 0

            await eventually(purged, within=5)
            assert not await shows(alex, carers, text)
    finally:
        stop_all(processes)
