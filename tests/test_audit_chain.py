"""The audit log is a hash chain: `sharon audit verify` finds an entry edited or deleted
directly in the database and names it; concurrent writers extend one chain; entries written
before the chain existed are chained by the migration; admins export a date range as CSV
from the web and the command line, and every staff action on sharing, peers, policy, keys and
roles is in it."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import BrowserFactory, StartNode, TestNode, _database_url, _drop_databases, peer_all
from sqlalchemy import select, text

from node import manage
from node.cli import main
from storage import audit
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import Audit

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def _sql(node: TestNode, statement: str, **values: str) -> None:
    async with node.db.transaction() as s:
        await s.execute(text(statement), values)


async def _entry(node: TestNode, seq: int) -> Audit:
    async with node.db.transaction() as s:
        return (await s.execute(select(Audit).where(Audit.seq == seq))).scalar_one()


async def test_verify_names_the_entry_edited_and_the_entry_deleted_in_the_database(
    start_node: StartNode, capsys: pytest.CaptureFixture[str]
) -> None:
    node = await start_node("Test Trust")
    for username, role in (("admin", "admin"), ("dr-ahmed", "clinician"), ("sam", "carer")):
        await node.add_user(username, role)
    await manage.subnet_create(node.directory, "carers", "Carers")
    capsys.readouterr()
    assert await _cli("audit", "verify", str(node.directory)) == 0
    assert "The audit chain is whole: 4 entries." in capsys.readouterr().out

    second = await _entry(node, 2)
    await _sql(node, "UPDATE audit SET action = 'role.given.patient' WHERE seq = 2")
    assert await _cli("audit", "verify", str(node.directory)) == 2
    err = capsys.readouterr().err
    assert f"broken at entry 2 (id {second.id}): entry 2 was changed" in err
    assert "1 entries before it are whole" in err and "\n" not in err.strip()

    await _sql(node, "UPDATE audit SET action = :action WHERE seq = 2", action=second.action)
    assert await _cli("audit", "verify", str(node.directory)) == 0
    capsys.readouterr()

    third = await _entry(node, 3)
    await _sql(node, "DELETE FROM audit WHERE seq = 2")
    assert await _cli("audit", "verify", str(node.directory)) == 2
    assert f"broken at entry 3 (id {third.id}): entry 2 deleted" in capsys.readouterr().err


async def test_entries_cut_from_the_end_are_caught_by_the_head(
    start_node: StartNode, capsys: pytest.CaptureFixture[str]
) -> None:
    node = await start_node("Test Trust")
    for username in ("admin", "sam"):
        await node.add_user(username, "admin" if username == "admin" else "carer")
    await _sql(node, "DELETE FROM audit WHERE seq = 2")
    assert await _cli("audit", "verify", str(node.directory)) == 2
    assert "the last entries (2–2) were deleted" in capsys.readouterr().err


async def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link(
    start_node: StartNode, capsys: pytest.CaptureFixture[str]
) -> None:
    node = await start_node("Test Trust")
    for username in ("a1", "a2", "a3"):
        await node.add_user(username, "admin")
    first = await _entry(node, 1)
    forged = audit.link_hash(
        seq=1,
        entry_id=first.id,
        at=first.at,
        who=first.who,
        action="role.given.carer",
        target=first.target,
        via=first.via,
        prev_hash=first.prev_hash,
    )
    await _sql(
        node,
        "UPDATE audit SET action = 'role.given.carer', hash = :forged WHERE seq = 1",
        forged=forged,
    )
    assert await _cli("audit", "verify", str(node.directory)) == 2
    assert "entry 2 does not follow entry 1" in capsys.readouterr().err


async def test_concurrent_writers_on_two_connections_extend_one_chain(
    database: Database,
) -> None:
    other = Database.connect(database.engine.url.render_as_string(hide_password=False))

    async def write(db: Database, n: int) -> None:
        async with db.transaction() as s:
            await audit.record(s, at=T0, who="test", action="test.written", target=str(n))

    try:
        await asyncio.gather(*(write((database, other)[n % 2], n) for n in range(30)))
    finally:
        await other.close()
    async with database.transaction() as s:
        check = await audit.verify(s)
        seqs = sorted((await s.execute(select(Audit.seq))).scalars())
    assert check.intact and check.entries == 30
    assert seqs == list(range(1, 31))


async def test_entries_from_before_the_chain_are_chained_by_the_migration(
    tmp_path: Path,
) -> None:
    created: list[str] = []
    url = await _database_url(tmp_path, created) or f"sqlite:///{tmp_path / 'm.sqlite3'}"
    try:
        await asyncio.to_thread(upgrade, url, "search_0005_post_text_index")
        db = Database.connect(url)
        try:
            async with db.transaction() as s:
                for n in range(5):
                    await s.execute(
                        Audit.__table__.insert().values(
                            id=f"old{n}",
                            at=T0 + timedelta(minutes=5 - n),
                            who="cli",
                            action="old.entry",
                            target=str(n),
                        )
                    )
        finally:
            await db.close()
        await asyncio.to_thread(upgrade, url)
        db = Database.connect(url)
        try:
            async with db.transaction() as s:
                check = await audit.verify(s)
                order = (await s.execute(select(Audit.target).order_by(Audit.seq))).scalars()
                assert check.intact and check.entries == 5
                assert list(order) == ["4", "3", "2", "1", "0"]  # in the order written
                await audit.record(s, at=T0, who="cli", action="new.entry", target="5")
            async with db.transaction() as s:
                assert (await audit.verify(s)).entries == 6
        finally:
            await db.close()
    finally:
        await _drop_databases(created)


def _rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


async def test_admins_export_a_date_range_as_csv_from_the_web_and_the_command_line(
    start_node: StartNode, browser: BrowserFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await a.add_user("admin", "admin")
    await a.add_user("dr-ahmed", "clinician")
    await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_share(a.directory, "carers", b.url)
    await manage.subnet_unshare(a.directory, "carers", b.url)
    await manage.keys_rotate(a.directory)
    admin, clinician = browser(a), browser(a)
    await admin.sign_in("admin")
    await clinician.sign_in("dr-ahmed")
    status, _ = await admin.submit(
        "/admin", "/admin/policy", {"slug": "carers", "posting": "staff", "retention_days": "0"}
    )
    assert status == 200
    await manage.peer_remove(a.directory, b.url)

    today = datetime.now(UTC).date().isoformat()
    capsys.readouterr()
    assert await _cli("audit", "export", str(a.directory), "--from", today, "--to", today) == 0
    rows = _rows(capsys.readouterr().out)
    actions = [row["action"] for row in rows]
    for done in (
        "peer.added",
        "role.given.admin",
        "role.given.clinician",
        "subnet.created",
        "share.offered",
        "share.ended",
        "keys.rotated",
        "subnet.policy_changed",
        "peer.removed",
    ):
        assert done in actions, (done, actions)
    policy = next(row for row in rows if row["action"] == "subnet.policy_changed")
    assert policy["who"] == await a.person_uri("admin")
    assert [int(row["seq"]) for row in rows] == sorted(int(row["seq"]) for row in rows)

    async with admin.http.get(a.url + "/admin") as response:
        html = await response.text()
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    async with admin.http.post(
        a.url + "/admin/audit", data={"csrf_token": token, "from": today, "to": today}
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        web_rows = _rows(await response.text())
    assert [row["hash"] for row in web_rows[: len(rows)]] == [row["hash"] for row in rows]
    assert web_rows[-1]["action"] == "audit.exported"  # the CLI's export, itself audited

    status, html = await admin.submit("/admin", "/admin/audit", {"from": "last week", "to": today})
    assert status == 400 and "Give the from date as YYYY-MM-DD" in html and "#audit-from" in html
    status, html = await admin.submit("/admin", "/admin/audit", {"from": today, "to": "2020-01-01"})
    assert status == 400 and "must not be before" in html
    status, _ = await clinician.submit("/account", "/admin/audit", {"from": today, "to": today})
    assert status == 403
    capsys.readouterr()
    assert await _cli("audit", "export", str(a.directory), "--from", "x", "--to", today) == 1
    assert capsys.readouterr().err.startswith("sharon: Give the from date")
    assert await _cli("audit", "verify", str(a.directory)) == 0
