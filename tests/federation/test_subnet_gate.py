"""The inbox door's subnet gate answers the activities that reach it together with one read,
and each answer is that activity's own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from rows import peer_row
from sqlalchemy import event
from sqlalchemy.engine import Engine

from actors.ids import LocalIds
from federation.inbox import SubnetGate
from storage.engine import Database
from storage.models import Peer, Person, Post, PostRef, Subnet, SubnetPartner

IDS = LocalIds("https://host.example")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CARERS, PRIVATE = IDS.subnet("carers"), IDS.subnet("private")


async def _setting(db: Database) -> tuple[Peer, Peer]:
    """Carers is shared with the partner; Private with nobody. A post of ours is in Private,
    and a third node's post (a reference) in Carers."""
    partner, stranger, third = (peer_row(name, NOW) for name in ("partner", "stranger", "third"))
    async with db.transaction() as s:
        s.add_all([partner, stranger, third])
        carers = Subnet(slug="carers", name="Carers", created_at=NOW)
        s.add_all([carers, Subnet(slug="private", name="Private", created_at=NOW)])
        author = Person(
            id="sam", username="sam", pseudonym="S", role="carer", password_hash="-", created_at=NOW
        )
        s.add(author)
        await s.flush()
        s.add(SubnetPartner(subnet_id=carers.id, peer_id=partner.id, since=NOW))
        s.add(Post(id="ours", author_id="sam", subnet_uri=PRIVATE, content="-", published=NOW))
        s.add(
            PostRef(
                object_uri="https://third.example/posts/1",
                subnet_uri=CARERS,
                author_uri="https://third.example/members/kim",
                peer_id=third.id,
                published=NOW,
                received_at=NOW,
            )
        )
    return partner, stranger


def _like(target: str) -> dict[str, Any]:
    return {"type": "Like", "actor": "https://partner.example/members/alex", "object": target}


async def test_activities_reaching_the_gate_together_are_answered_by_one_read(
    database: Database,
) -> None:
    partner, stranger = await _setting(database)
    gate = SubnetGate(database, IDS)
    asked = [
        (_like(CARERS), partner, False),  # shared with it
        (_like(f"{CARERS}/members"), stranger, True),  # not shared with it
        (_like(PRIVATE), partner, True),  # shared with nobody
        (_like(IDS.post("ours")), partner, True),  # our post, in Private
        (_like("https://third.example/posts/1"), partner, False),  # a reference in Carers
        (_like("https://third.example/posts/1"), stranger, True),
        (_like("https://partner.example/posts/9"), partner, False),  # names nothing of ours
    ]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        answers = await asyncio.gather(
            *(gate.refuses(activity, peer) for activity, peer, _ in asked)
        )
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert answers == [refused for _, _, refused in asked]
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
