"""The people-and-access migration goes up, down and up again on this database backend."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from conftest import _database_url, _drop_databases
from sqlalchemy import inspect

from storage.engine import Database
from storage.migrate import alembic_config, upgrade

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
