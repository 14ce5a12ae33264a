"""The people-and-access migration goes up, down and up again on this database backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from conftest import _database_url, _drop_databases
from sqlalchemy import String, column, insert, inspect, select, table

from storage.engine import Database
from storage.migrate import alembic_config, upgrade
from storage.models import Peer, PostRef, UTCDateTime
from storage.work_counts import add_work_counts

NEW_TABLES = {"invitation", "sign_in_throttle", "recovery_code", "password_reset"}


async def _tables(url: str) -> set[str]:
    db = Database.connect(url)
    try:
        async with db.engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await db.close()


async def test_0002_upgrades_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    created: list[str] = []
    url = await _database_url(tmp_path, created) or f"sqlite:///{tmp_path / 'm.sqlite3'}"
    try:
        await asyncio.to_thread(upgrade, url)
        assert NEW_TABLES <= await _tables(url)
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0001")
        assert not NEW_TABLES & await _tables(url)
        await asyncio.to_thread(upgrade, url)
        assert NEW_TABLES <= await _tables(url)
    finally:
        await _drop_databases(created)


async def test_notices_migration_upgrades_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    tables = {"notice", "last_visit", "house_rules"}
    created: list[str] = []
    url = await _database_url(tmp_path, created) or f"sqlite:///{tmp_path / 'n.sqlite3'}"
    try:
        await asyncio.to_thread(upgrade, url)
        assert tables <= await _tables(url)
        await asyncio.to_thread(command.downgrade, alembic_config(url), "notices_0009-1")
        assert not tables & await _tables(url)
        await asyncio.to_thread(upgrade, url)
        assert tables <= await _tables(url)
    finally:
        await _drop_databases(created)


async def test_moderation_migration_upgrades_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    tables = {"report", "sanction"}
    created: list[str] = []
    url = await _database_url(tmp_path, created) or f"sqlite:///{tmp_path / 'm.sqlite3'}"
    try:
        await asyncio.to_thread(upgrade, url)
        assert tables <= await _tables(url)
        await asyncio.to_thread(command.downgrade, alembic_config(url), "moderation_0010-1")
        assert not tables & await _tables(url)
        await asyncio.to_thread(upgrade, url)
        assert tables <= await _tables(url)
    finally:
        await _drop_databases(created)


async def test_messages_migration_upgrades_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    tables = {"care_team_member", "conversation", "message", "conversation_read"}
    created: list[str] = []
    url = await _database_url(tmp_path, created) or f"sqlite:///{tmp_path / 'msg.sqlite3'}"
    try:
        await asyncio.to_thread(upgrade, url)
        assert tables <= await _tables(url)
        await asyncio.to_thread(command.downgrade, alembic_config(url), "messages_0015-1")
        assert not tables & await _tables(url)
        await asyncio.to_thread(upgrade, url)
        assert tables <= await _tables(url)
    finally:
        await _drop_databases(created)


async def test_journal_migration_upgrades_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    tables = {"journal_entry"}
    created: list[str] = []
    url = await _database_url(tmp_path, created) or f"sqlite:///{tmp_path / 'j.sqlite3'}"
    try:
        await asyncio.to_thread(upgrade, url)
        assert tables <= await _tables(url)
        await asyncio.to_thread(command.downgrade, alembic_config(url), "journal_learning_0015-1")
        assert not tables & await _tables(url)
        await asyncio.to_thread(upgrade, url)
        assert tables <= await _tables(url)
    finally:
        await _drop_databases(created)


_REPORT = table(
    "report",
    column("id", String),
    column("object_uri", String),
    column("subnet_uri", String),
    column("reason", String),
    column("note", String),
    column("reporter_key", String),
    column("state", String),
    column("created_at", UTCDateTime(timezone=True)),
)


async def _refs_and_outcomes(url: str) -> tuple[dict[str, str], set[str]]:
    db = Database.connect(url)
    try:
        async with db.transaction() as s:
            states = {r.object_uri: r.moderation_state for r in await s.scalars(select(PostRef))}
            columns = await s.run_sync(
                lambda sync: {c["name"] for c in inspect(sync.connection()).get_columns("report")}
            )
        return states, columns
    finally:
        await db.close()


async def test_report_outcomes_migration_marks_posts_a_moderator_hid_and_goes_back(
    tmp_path: Path,
) -> None:
    """Before it, a hidden post whose reports were all reviewed was one a moderator hid: it
    becomes `withheld` (no longer waiting); one hidden by open reports still waits."""
    created: list[str] = []
    url = await _database_url(tmp_path, created) or f"sqlite:///{tmp_path / 'r.sqlite3'}"
    now = datetime.now(UTC)
    try:
        await asyncio.to_thread(upgrade, url, "work_counts_0020")
        db = Database.connect(url)
        try:
            async with db.transaction() as s:
                peer = Peer(
                    url="https://b.example",
                    host="b.example",
                    name="B",
                    instance_actor="https://b.example/actor",
                    shared_inbox="https://b.example/inbox",
                    key_fingerprint="x",
                    added_at=now,
                )
                s.add(peer)
                await s.flush()
                for name in ("decided", "waiting"):
                    s.add(
                        PostRef(
                            object_uri=f"https://b.example/posts/{name}",
                            subnet_uri="https://a.example/subnets/s",
                            author_uri="https://b.example/members/m",
                            peer_id=peer.id,
                            moderation_state="hidden",
                            published=now,
                            received_at=now,
                        )
                    )
                await s.flush()
                for name, state in (("decided", "reviewed"), ("waiting", "open")):
                    await s.execute(
                        insert(_REPORT).values(
                            id=name,
                            object_uri=f"https://b.example/posts/{name}",
                            subnet_uri="https://a.example/subnets/s",
                            reason="harmful",
                            note="",
                            reporter_key=name,
                            state=state,
                            created_at=now,
                        )
                    )
        finally:
            await db.close()
        await asyncio.to_thread(upgrade, url)
        states, columns = await _refs_and_outcomes(url)
        assert states == {
            "https://b.example/posts/decided": "withheld",
            "https://b.example/posts/waiting": "hidden",
        }
        assert "outcome" in columns
        await asyncio.to_thread(command.downgrade, alembic_config(url), "work_counts_0020")
        states, columns = await _refs_and_outcomes(url)
        assert set(states.values()) == {"hidden"} and "outcome" not in columns
        await asyncio.to_thread(upgrade, url)
    finally:
        await _drop_databases(created)


_WORK_COUNT = table("work_count", column("kind"), column("name"), column("count"))


async def _work_counts(url: str) -> dict[tuple[str, ...], int]:
    db = Database.connect(url)
    try:
        async with db.transaction() as s:
            columns = await s.run_sync(
                lambda sync: [
                    c["name"] for c in inspect(sync.connection()).get_columns("work_count")
                ]
            )
            key = [column(c) for c in columns if c != "count"]
            rows = await s.execute(select(*key, column("count")).select_from(table("work_count")))
            return {tuple(row[:-1]): row[-1] for row in rows}
    finally:
        await db.close()


async def test_work_counts_by_peer_migration_keeps_the_queue_counts_both_ways(
    tmp_path: Path,
) -> None:
    """Going up, the queue counts gain an empty peer; a count by peer can be added beside one
    of the same kind and name; going down, the queue counts stay and the per-peer ones go."""
    created: list[str] = []
    url = await _database_url(tmp_path, created) or f"sqlite:///{tmp_path / 'w.sqlite3'}"
    try:
        await asyncio.to_thread(upgrade, url, "report_outcomes_0020")
        db = Database.connect(url)
        try:
            async with db.transaction() as s:
                await s.execute(
                    insert(_WORK_COUNT).values(
                        [
                            {"kind": "done", "name": "delivery", "count": 7},
                            {"kind": "restart", "name": "pager", "count": 1},
                        ]
                    )
                )
        finally:
            await db.close()
        await asyncio.to_thread(upgrade, url)
        assert await _work_counts(url) == {
            ("done", "delivery", ""): 7,
            ("restart", "pager", ""): 1,
        }
        db = Database.connect(url)
        try:
            async with db.transaction() as s:
                await add_work_counts(
                    s, {("done", "delivery", ""): 1, ("delivery", "2xx", "b.example"): 3}
                )
        finally:
            await db.close()
        assert (await _work_counts(url))[("delivery", "2xx", "b.example")] == 3
        await asyncio.to_thread(command.downgrade, alembic_config(url), "report_outcomes_0020")
        assert await _work_counts(url) == {("done", "delivery"): 8, ("restart", "pager"): 1}
        await asyncio.to_thread(upgrade, url)
        assert await _work_counts(url) == {
            ("done", "delivery", ""): 8,
            ("restart", "pager", ""): 1,
        }
    finally:
        await _drop_databases(created)
