"""Posts written here and announced back by their subnets' homes (the Announces a partner's
subnet sends for each of our members' posts) are taken as a run in a fixed number of
statements, with the same rules as one at a time (actors.posts.own_posts_announced)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rows import peer_row, statements_run
from sqlalchemy import select

from actors.errors import NotFound, NotPermitted
from actors.posts import OwnPostAnnounced, own_posts_announced
from storage.engine import Database
from storage.models import Peer, Person, Post, RemoteActor

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CARERS, PARENTS = "https://home.example/subnets/carers", "https://home.example/subnets/parents"


async def _setting(db: Database, posts: int) -> tuple[Peer, Peer, list[str]]:
    """Carers and Parents hosted at `home`; `posts` posts of ours in Carers, every third one
    held until the home approves it; another peer, `other`, hosts nothing."""
    home, other = peer_row("home", NOW), peer_row("other", NOW)
    kim = Person(username="kim", pseudonym="Kim", role="carer", password_hash="-", created_at=NOW)
    async with db.transaction() as s:
        s.add_all([home, other, kim])
        await s.flush()
        for uri in (CARERS, PARENTS):
            s.add(
                RemoteActor(
                    uri=uri, peer_id=home.id, kind="Group", inbox=f"{uri}/inbox", fetched_at=NOW
                )
            )
        written = [
            Post(
                author_id=kim.id,
                subnet_uri=CARERS,
                content=f"post {n}",
                published=NOW - timedelta(minutes=n),
                moderation_state="held" if n % 3 == 0 else "visible",
            )
            for n in range(posts)
        ]
        s.add_all(written)
        await s.flush()
        return home, other, [post.id for post in written]


async def _announce(db: Database, announced: list[OwnPostAnnounced]) -> int:
    with statements_run(db) as seen:
        async with db.transaction() as s:
            await own_posts_announced(s, announced)
    return len(seen)


async def _states(db: Database) -> set[str]:
    async with db.reading() as s:
        return set((await s.scalars(select(Post.moderation_state))).all())


async def test_a_run_costs_the_same_statements_whatever_its_length_and_shows_held_posts(
    database: Database,
) -> None:
    home, _, ids = await _setting(database, 25)  # ids[24], held, is never announced
    two = await _announce(database, [OwnPostAnnounced(home, CARERS, i) for i in ids[:2]])
    twenty = await _announce(database, [OwnPostAnnounced(home, CARERS, i) for i in ids[2:24]])
    assert two == twenty <= 3
    async with database.reading() as s:
        held = set((await s.scalars(select(Post.id).where(Post.moderation_state == "held"))).all())
    assert held == {ids[24]}


@pytest.mark.parametrize(
    ("sender", "subnet", "refusal"),
    [("other", CARERS, NotFound), ("home", PARENTS, NotPermitted), ("home", "x", NotFound)],
    ids=["not the subnet's home", "not the post's subnet", "an unknown subnet"],
)
async def test_one_wrong_announce_refuses_the_run_and_changes_nothing(
    database: Database, sender: str, subnet: str, refusal: type[Exception]
) -> None:
    home, other, ids = await _setting(database, 3)
    wrong = OwnPostAnnounced(home if sender == "home" else other, subnet, ids[1])
    with pytest.raises(refusal):
        await _announce(database, [OwnPostAnnounced(home, CARERS, ids[0]), wrong])
    assert await _states(database) == {"visible", "held"}  # ids[0], held, is still held


async def test_a_post_deleted_since_is_left_alone(database: Database) -> None:
    home, _, ids = await _setting(database, 1)
    async with database.transaction() as s:
        post = await s.get(Post, ids[0])
        assert post is not None
        post.deleted_at = NOW
    await _announce(database, [OwnPostAnnounced(home, CARERS, ids[0])])
    assert await _states(database) == {"held"}
