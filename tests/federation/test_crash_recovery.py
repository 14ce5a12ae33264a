"""`kill -9` of a node (every process of it) in the middle of a fan-out loses nothing and
doubles nothing: after a restart every delivery arrives, and the receiver stores and processes
each activity once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
from conftest import (
    FAST_HASHER,
    PASSWORD,
    StartNode,
    TestNode,
    _database_url,
    _drop_databases,
    eventually,
    free_port,
)
from sqlalchemy import func, select

from actors import posts
from actors.clock import utcnow
from actors.ids import LocalIds
from actors.screening.rules import RuleScreener
from node import manage
from storage import people as people_store
from storage.engine import Database
from storage.models import InboxItem, PostRef

POSTS = 300
ROOT = Path(__file__).resolve().parents[2]


def _serve(directory: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "node.cli", "serve", str(directory)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its web and worker processes are killed with it
    )


async def _up(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/nodeinfo/2.1") as r:
            return r.status == 200
    except aiohttp.ClientError:
        return False


async def _count(node: TestNode, query: object) -> int:
    async with node.db.transaction() as s:
        return int(await s.scalar(query) or 0)


async def test_kill_9_mid_fan_out_then_restart_delivers_everything_exactly_once(
    start_node: StartNode, tmp_path: Path
) -> None:
    b = await start_node("Receiving Trust")
    databases: list[str] = []
    a_dir, port = tmp_path / "host", free_port()
    settings = await asyncio.to_thread(
        manage.init_node,
        a_dir,
        url=f"http://127.0.0.1:{port}",
        name="Crashing Trust",
        database_url=await _database_url(a_dir, databases),
    )
    a = _serve(a_dir)
    try:
        await eventually(lambda: _up(settings.url), within=60)  # a loaded machine
        await manage.peer_add(a_dir, b.url)
        await manage.peer_add(b.directory, settings.url)
        await manage.add_user(a_dir, "sam", "carer", PASSWORD, None, hasher=FAST_HASHER)
        subnet = await manage.subnet_create(a_dir, "carers", "Carers")
        await manage.subnet_share(a_dir, "carers", b.url)

        async def offered() -> bool:
            return any(o.subnet_uri == subnet for o, _ in await manage.share_list(b.directory))

        await eventually(offered)
        await manage.share_answer(b.directory, subnet, accept=True)

        async def agreed() -> bool:  # A has B's Accept: from now on posts go to B
            return await manage.is_partner_of(b.directory, subnet)

        await eventually(agreed)
        await manage.subnet_add(a_dir, "carers", "sam")

        db, ids = Database.connect(settings.database_url), LocalIds(settings.url)
        try:
            async with db.transaction() as s:
                sam = await people_store.person_by_username(s, "sam")
                assert sam is not None
                for n in range(POSTS):
                    await posts.write_post(
                        s,
                        ids,
                        person=sam,
                        subnet_uri=subnet,
                        content=f"post {n}",
                        now=utcnow(),
                        screener=RuleScreener(),
                    )
        finally:
            await db.close()

        announces = select(func.count()).select_from(InboxItem)
        await eventually(lambda: _more_than(b, announces, 10), within=20)
        os.killpg(a.pid, signal.SIGKILL)  # the parent, its web process and its worker at once
        a.wait()
        arrived_before_kill = await _count(b, select(func.count()).select_from(PostRef))
        assert arrived_before_kill < POSTS, "the fan-out finished before the kill; nothing proven"

        a = _serve(a_dir)
        await eventually(lambda: _at_least(b, select(func.count()).select_from(PostRef), POSTS), 90)
        await asyncio.sleep(1.0)  # anything sent twice has had time to arrive
        assert await _count(b, select(func.count()).select_from(PostRef)) == POSTS
        stored = await _count(b, select(func.count(func.distinct(InboxItem.activity_id))))
        assert stored == await _count(b, select(func.count()).select_from(InboxItem))
        done = select(func.count()).select_from(InboxItem).where(InboxItem.state == "done")
        assert await _count(b, done) == await _count(b, announces)
    finally:
        if a.poll() is None:
            os.kill(a.pid, signal.SIGTERM)
            a.wait(timeout=10)
        await _drop_databases(databases)


async def _more_than(node: TestNode, query: object, n: int) -> bool:
    return await _count(node, query) > n


async def _at_least(node: TestNode, query: object, n: int) -> bool:
    return await _count(node, query) >= n
