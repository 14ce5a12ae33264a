"""`/readyz` when the database is gone: 503 with a body that says so (and names no secret),
and ready again once it is back; `/healthz` stays 200 throughout, as the process still serves.

The database is really taken away: on SQLite its file is replaced by a directory (SQLite cannot
open it); on PostgreSQL new connections are refused and the node's are ended."""

from __future__ import annotations

import asyncpg
from conftest import PG_URL, StartNode, TestNode, eventually
from test_operations import get_json

from node.app import DATABASE


async def take_away(node: TestNode) -> None:
    """The node's database made unreachable. On PostgreSQL the server ends the node's
    connections (the pools keep them, dead, as after a crash); a SQLite file is swapped for a
    directory, and the connections still open on the old file are closed."""
    if PG_URL:
        name = node.settings.database_url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
        finally:
            await admin.close()
        return
    path = node.sqlite_path
    path.rename(path.with_name("aside.sqlite3"))
    path.mkdir()
    await node.runner.app[DATABASE].drop_connections()


async def bring_back(node: TestNode) -> None:
    if PG_URL:
        name = node.settings.database_url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        finally:
            await admin.close()
        return
    path = node.sqlite_path
    path.rmdir()
    path.with_name("aside.sqlite3").rename(path)


async def test_not_ready_with_a_clear_body_while_the_database_is_down(
    start_node: StartNode,
) -> None:
    node = await start_node("No database", run_workers=False)
    assert (await get_json(node, "/readyz"))[0] == 200
    await take_away(node)
    try:
        status, body = await get_json(node, "/readyz")
        assert status == 503 and body["status"] == "not ready"
        database = body["checks"]["database"]
        assert database["ok"] is False and database["detail"] == "the database cannot be reached"
        assert "queues" not in body["checks"]  # nothing asked of a database that is gone
        assert "postgres" not in str(body) and "sqlite3" not in str(body)  # no URL or path
        assert await get_json(node, "/healthz") == (200, {"status": "alive"})
    finally:
        await bring_back(node)

    async def ready() -> bool:
        return (await get_json(node, "/readyz"))[0] == 200

    await eventually(ready)
