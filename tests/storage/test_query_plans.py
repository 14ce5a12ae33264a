"""The statements on the hot paths find their rows through an index, never by reading a whole
table, so the subnet page, the inbox door and the queues cost the same at 1,000,000 rows as at
10,000 (issue 11, "growth").

Each statement is captured as the real function sends it (with its parameters), with the
growing tables holding 1,000 rows that are not its answer (done queue rows, other subnets'
posts and members), then with 10,000. On SQLite the statements are run again on a plain
connection counting the virtual machine's steps (`set_progress_handler`): ten times the rows
must not cost more steps (a plan line alone can mislead: `max(seq)` over an index led by
another column shows as a `SEARCH` yet reads every entry). On PostgreSQL, told to avoid
sequential scans wherever it can, `EXPLAIN` must show no `Seq Scan` of a growing table (with a
test's few rows it would otherwise rightly prefer them)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rows import peer_row
from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from actors.ids import LocalIds
from actors.posts import OfferedPost, accept_remote_posts
from storage import posts, queues, subnets
from storage.engine import Database
from storage.models import (
    Delivery,
    Event,
    InboxItem,
    Membership,
    Peer,
    Person,
    Post,
    PostRef,
    Sanction,
    Subnet,
    SubnetPartner,
    table_of,
)

IDS = LocalIds("https://host.example")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CARERS = IDS.subnet("carers")
ALEX = "https://partner.example/members/alex"
GROWING = ("post", "post_ref", "delivery", "inbox_item", "event", "membership", "sanction")
LEASE = timedelta(minutes=2)


async def _setting(db: Database) -> Peer:
    peer = peer_row("partner", NOW)
    async with db.transaction() as s:
        s.add(peer)
        subnet = Subnet(slug="carers", name="Carers", created_at=NOW)
        s.add(subnet)
        await s.flush()
        s.add(SubnetPartner(subnet_id=subnet.id, peer_id=peer.id, since=NOW))
        s.add(Membership(subnet_uri=CARERS, member_uri=ALEX, created_at=NOW))
    return peer


@contextmanager
def _sent(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every single statement sent (not the bulk writes), with its parameters."""
    sent: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if not rest[-1] and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH")):
            sent.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)


def _seq_scans(plan: list[str]) -> list[str]:
    found = [re.search(r"Seq Scan on (\w+)", line) for line in plan]
    tables = [match.group(1) for match in found if match]
    return [t for t in tables if any(t == g or t.startswith(f"{g}_") for g in GROWING)]


async def _postgresql_seq_scans(db: Database, sent: list[tuple[str, Any]]) -> dict[str, Any]:
    scans = {}
    async with db.engine.connect() as connection:
        await connection.execute(text("SET enable_seqscan = off"))
        for statement, parameters in sent:
            rows = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            if found := _seq_scans([str(row[0]) for row in rows]):
                scans[statement] = found
        await connection.rollback()
    return scans


def _sqlite_steps(db: Database, sent: list[tuple[str, Any]]) -> dict[str, int]:
    """Virtual-machine steps (in tens) each read takes, run again on a plain connection."""
    steps: dict[str, int] = {}
    connection = sqlite3.connect(str(db.engine.url.database))
    counted = [0]

    def step() -> int:
        counted[0] += 1
        return 0

    connection.set_progress_handler(step, 10)
    try:
        for statement, parameters in sent:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                counted[0] = 0
                connection.execute(statement, parameters).fetchall()
                steps[statement] = counted[0]
    finally:
        connection.close()
    return steps


async def _grow(db: Database, peer: Peer, start: int, end: int) -> None:
    """Rows the hot paths must step over: done queue rows, other subnets' posts, references,
    members and sanctions."""
    numbers = range(start, end)
    other = IDS.subnet("other")
    async with db.transaction() as s:
        person = (await s.scalars(select(Person.id))).first()
        if person is None:
            person = "p0"
            await s.execute(
                insert(table_of(Person)),
                [
                    {
                        "id": person,
                        "username": "p0",
                        "pseudonym": "P",
                        "role": "carer",
                        "password_hash": "-",
                        "created_at": NOW,
                    }
                ],
            )
        done = {"state": "done", "next_attempt_at": NOW - timedelta(days=1)}
        await s.execute(
            insert(table_of(Delivery)),
            [
                {
                    **done,
                    "peer_id": peer.id,
                    "inbox": "-",
                    "activity": {},
                    "signer": "-",
                    "ordering_key": f"https://host.example/posts/{n}",
                    "seq": n,
                    "created_at": NOW,
                }
                for n in numbers
            ],
        )
        await s.execute(
            insert(table_of(InboxItem)),
            [
                {
                    **done,
                    "activity_id": f"https://partner.example/a/{n}",
                    "peer_id": peer.id,
                    "activity": {},
                    "received_at": NOW,
                }
                for n in numbers
            ],
        )
        await s.execute(
            insert(table_of(Event)),
            [{**done, "kind": "ref.accepted", "payload": {}, "created_at": NOW} for n in numbers],
        )
        await s.execute(
            insert(table_of(Post)),
            [
                {"author_id": person, "subnet_uri": other, "content": "-", "published": NOW}
                for n in numbers
            ],
        )
        await s.execute(
            insert(table_of(PostRef)),
            [
                {
                    "object_uri": f"https://partner.example/posts/old-{n}",
                    "subnet_uri": other,
                    "author_uri": ALEX,
                    "peer_id": peer.id,
                    "published": NOW,
                    "received_at": NOW,
                    "in_reply_to": f"https://partner.example/posts/old-{n - 1}",
                }
                for n in numbers
            ],
        )
        await s.execute(
            insert(table_of(Membership)),
            [
                {"subnet_uri": other, "member_uri": f"{ALEX}-{n}", "created_at": NOW}
                for n in numbers
            ],
        )
        await s.execute(
            insert(table_of(Sanction)),
            [
                {
                    "kind": "suspended",
                    "subnet_uri": other,
                    "member_uri": f"{ALEX}-{n}",
                    "created_at": NOW,
                }
                for n in numbers
            ],
        )


async def _sent_by(db: Database, peer: Peer, path: str) -> list[tuple[str, Any]]:
    with _sent(db) as sent:
        async with db.transaction() as s:
            await _hot_paths(peer)[path](s)
            await s.rollback()
    assert sent
    return sent


def _hot_paths(peer: Peer) -> dict[str, Callable[[AsyncSession], Awaitable[object]]]:
    before = (NOW, f"{IDS.base}/posts/x")
    offered = OfferedPost(
        peer=peer,
        author_uri=ALEX,
        object_uri="https://partner.example/posts/1",
        subnet_uri=CARERS,
        published=NOW,
        in_reply_to="https://partner.example/posts/0",
    )
    return {
        "subnet page, local posts": lambda s: posts.local_posts_in(s, CARERS, 50),
        "subnet page, local posts, older": lambda s: posts.local_posts_in(
            s, CARERS, 50, before, f"{IDS.base}/posts/"
        ),
        "subnet page, references": lambda s: posts.refs_in(s, CARERS, 50),
        "subnet page, references, older": lambda s: posts.refs_in(s, CARERS, 50, before),
        "reply counts": lambda s: posts.reply_counts(s, CARERS, ["https://partner.example/p"]),
        "inbox door": lambda s: subnets.open_to(s, {"carers"}, {peer.id}),
        "announce planning, partners": lambda s: subnets.partners_by_slug(s, {"carers"}),
        "inbox door, posts": lambda s: posts.subnets_of(s, {"abc"}, {"https://x.example/p"}),
        "inbox claim": lambda s: queues.claim_inbox_items(s, NOW, LEASE, 200),
        "outbox claim": lambda s: queues.claim_events(s, NOW, LEASE, 200),
        "delivery claim": lambda s: queues.claim_deliveries(s, NOW, LEASE, 500),
        "delivery numbering": lambda s: queues.add_deliveries(
            s,
            [
                {
                    "peer_id": peer.id,
                    "inbox": "https://partner.example/inbox",
                    "activity": {},
                    "signer": IDS.instance,
                    "next_attempt_at": NOW,
                    "created_at": NOW,
                }
            ],
        ),
        "partner's posts accepted": lambda s: accept_remote_posts(s, IDS, [offered], NOW),
    }


@pytest.mark.parametrize("path", list(_hot_paths(Peer(id="-")).keys()))
async def test_a_hot_path_costs_no_more_at_ten_times_the_rows(
    database: Database, path: str
) -> None:
    peer = await _setting(database)
    await _grow(database, peer, 0, 1_000)
    if not database.is_sqlite:
        await _grow(database, peer, 1_000, 10_000)
        async with database.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
        assert await _postgresql_seq_scans(database, await _sent_by(database, peer, path)) == {}
        return
    small = _sqlite_steps(database, await _sent_by(database, peer, path))
    await _grow(database, peer, 1_000, 10_000)
    large = _sqlite_steps(database, await _sent_by(database, peer, path))
    assert small.keys() == large.keys()
    grew = {sql: (small[sql], large[sql]) for sql in small if large[sql] > small[sql] * 1.5 + 20}
    assert grew == {}
