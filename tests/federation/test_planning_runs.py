"""A busy subnet's accepted posts are planned as a run: a batch of `ref.accepted` events costs
the same statements whatever its length (their references, the partners of all their subnets,
the delivery rows and the events' outcomes each in one go), and still gives every partner of
each post's subnet one Announce, in the order the posts were accepted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp
from rows import peer_row, statements_run
from sqlalchemy import insert, select

from actors.events import EventKind
from actors.ids import LocalIds
from federation.client import SignedClient
from federation.delivery import Deliverer
from federation.keys import NodeKeys
from storage import queues
from storage.engine import Database
from storage.models import Delivery, Event, Peer, PostRef, Subnet, SubnetPartner, table_of

IDS = LocalIds("https://host.example")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CARERS, VETERANS = IDS.subnet("carers"), IDS.subnet("veterans")
ALEX = "https://alpha.example/members/alex"


async def _setting(db: Database) -> dict[str, Peer]:
    """Carers shared with Alpha and Beta, Veterans with Alpha only; Gamma is only invited."""
    peers = {name: peer_row(name, NOW) for name in ("alpha", "beta", "gamma")}
    async with db.transaction() as s:
        s.add_all(peers.values())
        for slug, partners in (("carers", ("alpha", "beta")), ("veterans", ("alpha",))):
            subnet = Subnet(slug=slug, name=slug.title(), created_at=NOW)
            s.add(subnet)
            await s.flush()
            for name in partners:
                s.add(SubnetPartner(subnet_id=subnet.id, peer_id=peers[name].id, since=NOW))
            s.add(
                SubnetPartner(
                    subnet_id=subnet.id, peer_id=peers["gamma"].id, since=NOW, state="invited"
                )
            )
    return peers


async def _accepted(db: Database, peer: Peer, posts: list[tuple[int, str]]) -> None:
    """Alpha's posts (number, subnet) accepted here, each with its event, in this order."""
    async with db.transaction() as s:
        await s.execute(
            insert(table_of(PostRef)),
            [
                {
                    "object_uri": _post(n),
                    "subnet_uri": subnet_uri,
                    "author_uri": ALEX,
                    "peer_id": peer.id,
                    "published": NOW,
                    "received_at": NOW,
                }
                for n, subnet_uri in posts
            ],
        )
        for n, _ in posts:
            await queues.add_events(s, EventKind.REF_ACCEPTED, [{"object_uri": _post(n)}], NOW)


def _post(n: int) -> str:
    return f"https://alpha.example/posts/{n}"


async def _plan(deliverer: Deliverer) -> tuple[int, int]:
    """Plan every due event in one batch; (events taken, statements run)."""
    with statements_run(deliverer.db) as seen:
        taken = await deliverer.fan_out(limit=deliverer.planning.chunk)
    return taken, len(seen)


async def test_a_run_of_accepted_posts_costs_the_same_statements_whatever_its_length(
    database: Database,
) -> None:
    peers = await _setting(database)
    keys = NodeKeys.generate()
    async with aiohttp.ClientSession() as http:
        client = SignedClient(http, keys, lambda: NOW)
        deliverer = Deliverer(database, IDS, keys, client, lambda: NOW, asyncio.Event())
        await _accepted(database, peers["alpha"], [(1, CARERS), (2, VETERANS)])
        two = await _plan(deliverer)
        many = deliverer.planning.chunk
        await _accepted(
            database,
            peers["alpha"],
            [(n, CARERS if n % 3 else VETERANS) for n in range(3, 3 + many - 1)]
            + [(99, IDS.subnet("gone"))],
        )
        assert await _plan(deliverer) == (many, two[1])

    async with database.transaction() as s:
        rows = (await s.scalars(select(Delivery).order_by(Delivery.seq))).all()
        events = (await s.scalars(select(Event))).all()
    expected = [
        (name, _post(n), subnet_uri)
        for n, subnet_uri in [(1, CARERS), (2, VETERANS)]
        + [(n, CARERS if n % 3 else VETERANS) for n in range(3, 3 + many - 1)]
        for name in (("alpha", "beta") if subnet_uri == CARERS else ("alpha",))
    ]
    assert [
        (row.peer_id, row.activity["object"]["id"], row.activity["actor"], row.signer, row.inbox)
        for row in rows
    ] == [
        (peers[name].id, post, subnet_uri, subnet_uri, peers[name].shared_inbox)
        for name, post, subnet_uri in expected
    ]
    assert {row.activity["type"] for row in rows} == {"Announce"}
    assert [row.ordering_key for row in rows] == [post for _, post, _ in expected]
    assert len({row.activity["id"] for row in rows}) == len(rows)
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    assert {(e.state, e.attempts) for e in events} == {("done", 1)}
