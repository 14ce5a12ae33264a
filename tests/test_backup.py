"""`sharon backup` of a running node while it takes posts, and `sharon restore` elsewhere: the
restored node serves the same subnets, posts, peers and keys."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from conftest import (
    FAST_HASHER,
    PG_URL,
    BrowserFactory,
    StartNode,
    eventually,
    peer_all,
    share,
    shows,
    signed_get,
    write,
)
from sqlalchemy import select

from node import manage
from node.app import create_app
from storage.engine import Database
from storage.models import Peer, Subnet, SubnetPartner

ROOT = Path(__file__).resolve().parents[1]


async def sharon(*args: str) -> tuple[int, str, str]:
    """Run the real `sharon` command line in a process of its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "node.cli",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def empty_database() -> AsyncIterator[str | None]:
    """On PostgreSQL, a new empty database to restore into (dropped afterwards)."""
    if not PG_URL:
        yield None
        return
    name = f"sharon_restore_{uuid.uuid4().hex[:12]}"
    admin_url = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(admin_url)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    connection = await asyncpg.connect(admin_url)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def _actor_key(url: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.get(url + "/actor", headers={"Accept": "application/activity+json"}) as response,
    ):
        return json.dumps((await response.json(content_type=None))["publicKey"], sort_keys=True)


async def test_backup_under_load_restores_into_a_node_that_serves_the_same(
    start_node: StartNode, browser: BrowserFactory, tmp_path: Path, empty_database: str | None
) -> None:
    a = await start_node("Berkshire Healthcare")
    b = await start_node("Oxford Health")
    await peer_all(a, b)
    await a.add_user("sam", "carer")
    carers = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_create(a.directory, "veterans", "Veterans")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    before = [f"Written before the backup, number {n}" for n in range(3)]
    for text in before:
        await write(sam, carers, text)
    key = await _actor_key(a.url)

    stop = asyncio.Event()
    during: list[str] = []

    async def keep_posting() -> None:
        while not stop.is_set():
            text = f"Written while the backup runs, number {len(during)}"
            await write(sam, carers, text)
            during.append(text)

    loader = asyncio.create_task(keep_posting())
    await eventually(lambda: _true(len(during) >= 1))
    archive = tmp_path / "berkshire.tar.gz"
    posted_at_start = len(during)
    code, out, err = await sharon("backup", str(a.directory), str(archive))
    posted_at_end = len(during)
    stop.set()
    await loader
    assert code == 0, err
    assert posted_at_end > posted_at_start  # the node took posts while the backup ran
    assert archive.stat().st_mode & 0o077 == 0

    restored_dir = tmp_path / "restored"
    extra = ["--database-url", empty_database] if empty_database else []
    code, out, err = await sharon("restore", str(archive), str(restored_dir), *extra)
    assert code == 0, err
    assert "Restored Berkshire Healthcare" in out
    for pem in restored_dir.glob("*.pem"):
        assert pem.stat().st_mode & 0o777 == 0o600, pem
    settings = manage.settings_for(restored_dir)
    assert settings.url == a.url
    assert settings.database_url != a.settings.database_url  # its own database, not A's

    # The original stops; the restored node takes its place (same URL, keys, data).
    await a.runner.cleanup()
    app = await create_app(settings, hasher=FAST_HASHER)
    a.runner = web.AppRunner(app, access_log=None)  # the fixture stops it at the end
    await a.runner.setup()
    await web.TCPSite(a.runner, "127.0.0.1", settings.bind[1]).start()

    assert await _actor_key(a.url) == key
    reader = browser(a)
    await reader.sign_in("sam")
    for text in before:
        assert await shows(reader, carers, text)
    shown = [text for text in during if await shows(reader, carers, text)]
    assert shown == during[: len(shown)]  # a consistent snapshot: a prefix of what was posted
    status, _ = await signed_get(b, carers)  # the partner's signature checks out here still
    assert status == 200
    peers = await manage.peer_list(restored_dir)
    assert [peer.url for peer, _ in peers] == [b.url]
    restored_db = Database.connect(settings.database_url)
    try:
        for columns in (
            Subnet.__table__.columns,
            SubnetPartner.__table__.columns,
            (Peer.id, Peer.url, Peer.name, Peer.key_fingerprint, Peer.shared_inbox),
        ):
            assert await _rows(restored_db, columns) == await _rows(a.db, columns)
    finally:
        await restored_db.close()


async def _rows(db: Database, columns: Any) -> list[tuple[Any, ...]]:
    async with db.transaction() as s:
        return sorted(tuple(row) for row in (await s.execute(select(*columns))).all())


async def test_restore_refuses_a_directory_that_is_not_empty(
    start_node: StartNode, tmp_path: Path
) -> None:
    node = await start_node("Berkshire Healthcare")
    archive = tmp_path / "node.tar.gz"
    assert (await sharon("backup", str(node.directory), str(archive)))[0] == 0
    code, out, err = await sharon("backup", str(node.directory), str(archive))
    assert code == 1 and err.startswith("sharon: ") and "already exists" in err

    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("keep me")
    code, out, err = await sharon("restore", str(archive), str(occupied))
    assert code == 1 and out == ""
    assert err.startswith("sharon: ") and err.count("\n") == 1 and "not empty" in err
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]

    not_a_backup = tmp_path / "notes.tar.gz"
    not_a_backup.write_text("not an archive")
    code, _, err = await sharon("restore", str(not_a_backup), str(tmp_path / "new"))
    assert code == 1 and err.startswith("sharon: ") and "not a SHaRON backup" in err
    assert not (tmp_path / "new").exists()


async def _true(value: bool) -> bool:
    return value
