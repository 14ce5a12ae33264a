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
