"""A person is a different actor in every subnet, with the pseudonym they chose there: a trust
taking part in two subnets with the same person cannot link them, and never sees the person's
node-wide identity."""

from __future__ import annotations

from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    act,
    eventually,
    peer_all,
    share,
    shows,
    subnet_path,
    write,
)

from node import manage
from storage.models import RemoteActor


async def test_one_person_in_two_subnets_is_two_unlinkable_actors_elsewhere(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    await b.add_user("alex", "carer", "Alex")
    carers = await manage.subnet_create(a.directory, "carers", "Carers")
    perinatal = await manage.subnet_create(a.directory, "perinatal", "Perinatal")
    for slug, subnet in (("carers", carers), ("perinatal", perinatal)):
        await share(a, slug, b)
        await manage.subnet_add(a.directory, slug, "sam")
        await manage.subnet_add(b.directory, subnet, "alex")
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    status = await act(sam, perinatal, "/subnet/pseudonym", {"pseudonym": "New mum R"})
    assert status == 200
    await write(sam, carers, "In carers (marker PA1)")
    await write(sam, perinatal, "In perinatal (marker PA2)")
    await eventually(lambda: shows(alex, carers, "marker PA1"))
    await eventually(lambda: shows(alex, perinatal, "marker PA2"))
    _, carers_page = await alex.get(subnet_path(carers))
    _, perinatal_page = await alex.get(subnet_path(perinatal))
    assert "Sam" in carers_page and "New mum R" not in carers_page
    assert "New mum R" in perinatal_page

    in_carers = await a.member_uri("sam", carers)
    in_perinatal = await a.member_uri("sam", perinatal)
    person = await a.person_uri("sam")
    assert in_carers != in_perinatal and in_carers.rsplit("/", 1)[1] not in in_perinatal
    wire = b"".join(r.body + r.url.encode() for r in a.sent)
    assert person.encode() not in wire  # the node-wide identity never leaves
    assert person not in await b.all_rows_text()
    async with b.db.transaction() as s:
        actors = (await s.execute(RemoteActor.__table__.select())).all()
    named = {actor.uri for actor in actors if actor.name == "New mum R"}
    assert named <= {in_perinatal}  # the chosen name is tied to that subnet's persona only


async def test_chosen_pseudonym_is_checked_and_reaches_the_subnets_nodes(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    await b.add_user("alex", "carer", "Alex")
    carers = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, carers, "alex")
    sam = browser(a)
    await sam.sign_in("sam")
    fields = {"subnet": carers, "pseudonym": "Call 07700900123"}
    status, html = await sam.submit(subnet_path(carers), "/subnet/pseudonym", fields)
    assert status == 400 and "must not contain long numbers" in html
    member = await a.member_uri("sam", carers)
    assert await act(sam, carers, "/subnet/pseudonym", {"pseudonym": "Quiet river"}) == 200
    await eventually(lambda: _named(b, member, "Quiet river"))


async def _named(node: TestNode, uri: str, name: str) -> bool:
    async with node.db.transaction() as s:
        actor = await s.get(RemoteActor, uri)
    return actor is not None and actor.name == name
