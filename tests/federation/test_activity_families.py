"""Every event kind has exactly one planner and every activity the inbox accepts exactly one
handler; a person's persona documents follow their pseudonym and their erasure to partners."""

from __future__ import annotations

import pytest
from conftest import (
    PASSWORD,
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
)
from sqlalchemy import select

from actors.events import EventKind
from federation.activities import dispatch
from federation.inbox import HANDLED
from node import manage
from storage.models import Membership, RemoteActor


def test_every_event_kind_has_exactly_one_planner() -> None:
    claimed = [kind for family in dispatch.FAMILIES for kind in family.PLANNERS]
    assert sorted(claimed) == sorted(EventKind)


def test_every_accepted_activity_type_has_exactly_one_handler() -> None:
    claimed = [key for family in dispatch.FAMILIES for key in family.HANDLERS]
    assert len(claimed) == len(set(claimed))
    assert {key.split(" ")[0] for key in claimed} == HANDLED
    assert {"Update actor", "Delete actor"} <= set(claimed)


def test_a_type_claimed_by_two_families_is_refused() -> None:
    with pytest.raises(ValueError, match="claimed by two families"):
        dispatch._merge([{"Update": 1}, {"Update": 2}])


def test_updates_and_deletes_of_actors_are_told_apart_from_posts() -> None:
    person = {"id": "https://b.example/members/1", "type": "Person"}
    gone = {"id": "https://b.example/members/1", "type": "Tombstone", "formerType": "Person"}
    post = {"id": "https://b.example/posts/1", "type": "Tombstone"}
    assert dispatch.handler_key({"type": "Update", "object": person}) == "Update actor"
    assert dispatch.handler_key({"type": "Update", "object": {"type": "Note"}}) == "Update"
    assert dispatch.handler_key({"type": "Delete", "object": gone}) == "Delete actor"
    assert dispatch.handler_key({"type": "Delete", "object": post}) == "Delete"


async def _name_held(node: TestNode, uri: str) -> str | None:
    async with node.db.transaction() as s:
        actor = await s.get(RemoteActor, uri)
    return actor.name if actor is not None else None


async def test_partners_update_then_drop_the_persona_documents_of_a_person(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Home Trust"), await start_node("Host Trust")
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    carers = await manage.subnet_create(b.directory, "carers", "Carers")
    await share(b, "carers", a)
    await manage.subnet_add(a.directory, carers, "sam")  # sam's Join: b holds the persona
    member = await a.member_uri("sam", carers)
    await eventually(lambda: _holds_name(b, member, "Sam"))
    sam = browser(a)
    await sam.sign_in("sam")

    status, _ = await sam.submit(
        "/account", "/account/profile", {"pseudonym": "Evening tide", "avatar": ""}
    )
    assert status == 200
    await eventually(lambda: _holds_name(b, member, "Evening tide"))

    status, page = await sam.submit(
        "/account/erase", "/account/erase", {"confirm": "yes", "password": PASSWORD}
    )
    assert status == 200 and "Your account has been erased" in page
    await eventually(lambda: _holds_name(b, member, None))
    async with b.db.transaction() as s:
        assert await s.scalar(select(Membership).where(Membership.member_uri == member)) is None


async def _holds_name(node: TestNode, uri: str, name: str | None) -> bool:
    return await _name_held(node, uri) == name
