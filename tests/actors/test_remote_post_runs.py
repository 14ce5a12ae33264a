"""A run of partners' posts (the Creates of one inbox batch) is accepted with a fixed number of
statements, with the same rules as one post at a time (actors.posts.accept_remote_posts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rows import peer_row, statements_run
from sqlalchemy import func, select

from actors.errors import NotFound, NotPermitted
from actors.ids import LocalIds
from actors.posts import OfferedPost, accept_remote_posts
from storage.engine import Database
from storage.models import Event, Membership, Peer, PostRef, Sanction, Subnet, SubnetPartner

IDS = LocalIds("https://host.example")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CARERS, ELSEWHERE = IDS.subnet("carers"), IDS.subnet("elsewhere")
ALEX, SAM = "https://partner.example/members/alex", "https://partner.example/members/sam"


async def _setting(db: Database) -> Peer:
    """Carers and Elsewhere hosted here, both shared with the partner; alex and sam (the
    partner's) are members of both; sam is suspended from Carers."""
    peer = peer_row("partner", NOW)
    async with db.transaction() as s:
        s.add(peer)
        for slug in ("carers", "elsewhere"):
            subnet = Subnet(slug=slug, name=slug.title(), created_at=NOW)
            s.add(subnet)
            await s.flush()
            s.add(SubnetPartner(subnet_id=subnet.id, peer_id=peer.id, since=NOW))
            for member in (ALEX, SAM):
                s.add(Membership(subnet_uri=IDS.subnet(slug), member_uri=member, created_at=NOW))
        s.add(Sanction(kind="suspended", subnet_uri=CARERS, member_uri=SAM, created_at=NOW))
    return peer


def _post(peer: Peer, n: int, **fields: Any) -> OfferedPost:
    values: dict[str, Any] = {
        "peer": peer,
        "author_uri": ALEX,
        "object_uri": f"https://partner.example/posts/{n}",
        "subnet_uri": CARERS,
        "published": NOW - timedelta(minutes=n),
    }
    return OfferedPost(**(values | fields))


async def _offer(db: Database, offered: list[OfferedPost]) -> tuple[list[bool], int]:
    with statements_run(db) as seen:
        async with db.transaction() as s:
            added = await accept_remote_posts(s, IDS, offered, NOW)
    return added, len(seen)


async def test_a_run_costs_the_same_statements_whatever_its_length(database: Database) -> None:
    peer = await _setting(database)
    _, warm = await _offer(database, [_post(peer, 0)])
    added_two, two = await _offer(database, [_post(peer, n) for n in (1, 2)])
    added_twenty, twenty = await _offer(database, [_post(peer, n) for n in range(3, 23)])
    assert added_two == [True] * 2 and added_twenty == [True] * 20
    assert two == twenty <= warm
    async with database.reading() as s:
        assert await s.scalar(select(func.count()).select_from(PostRef)) == 23
        kinds = (await s.scalars(select(Event.kind).order_by(Event.id))).all()
        payloads = (await s.scalars(select(Event.payload).order_by(Event.id))).all()
    assert kinds == ["ref.accepted"] * 23
    assert [p["object_uri"] for p in payloads] == [
        f"https://partner.example/posts/{n}" for n in range(23)
    ]


async def test_a_post_named_twice_or_already_known_is_new_once(database: Database) -> None:
    peer = await _setting(database)
    assert (await _offer(database, [_post(peer, 1)]))[0] == [True]
    added, _ = await _offer(database, [_post(peer, 1), _post(peer, 2), _post(peer, 2)])
    assert added == [False, True, False]
    async with database.reading() as s:
        assert await s.scalar(select(func.count()).select_from(Event)) == 2


@pytest.mark.parametrize(
    ("refused", "error"),
    [
        ({"subnet_uri": IDS.subnet("unshared")}, NotFound),
        ({"author_uri": "https://partner.example/members/stranger"}, NotPermitted),
        ({"author_uri": SAM}, NotPermitted),
        # a reply to a post earlier in the run, claiming another subnet than its parent's
        ({"in_reply_to": "https://partner.example/posts/1", "subnet_uri": ELSEWHERE}, NotPermitted),
    ],
)
async def test_one_refused_post_refuses_the_run_and_keeps_nothing_of_it(
    database: Database, refused: dict[str, Any], error: type[Exception]
) -> None:
    peer = await _setting(database)
    with pytest.raises(error):
        await _offer(database, [_post(peer, 1), _post(peer, 2, **refused), _post(peer, 3)])
    async with database.reading() as s:
        assert await s.scalar(select(func.count()).select_from(PostRef)) == 0
        assert await s.scalar(select(func.count()).select_from(Event)) == 0


async def test_a_reply_is_checked_against_its_parents_subnet_as_known_not_as_resent(
    database: Database,
) -> None:
    """A partner re-sends post 1 (known here in Carers) claiming Elsewhere, and in the same run
    a reply to it in Elsewhere: the reply is refused, as it would be alone."""
    peer = await _setting(database)
    assert (await _offer(database, [_post(peer, 1)]))[0] == [True]
    reply = _post(peer, 2, in_reply_to="https://partner.example/posts/1", subnet_uri=ELSEWHERE)
    for run in ([reply], [_post(peer, 1, subnet_uri=ELSEWHERE), reply]):
        with pytest.raises(NotPermitted, match="same subnet"):
            await _offer(database, run)


async def test_sam_is_refused_only_where_suspended_and_a_reply_in_its_parents_subnet_is_kept(
    database: Database,
) -> None:
    peer = await _setting(database)
    added, _ = await _offer(
        database,
        [
            _post(peer, 1, author_uri=SAM, subnet_uri=ELSEWHERE),
            _post(peer, 2, in_reply_to="https://partner.example/posts/1", subnet_uri=ELSEWHERE),
        ],
    )
    assert added == [True, True]
