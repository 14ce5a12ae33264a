"""From a post to the person: staff of the author's home trust follow the author's name on a
post to their record (real name, contact details, the name they use in each subnet); staff of
a partner trust see the subnet name and the trust only. Staff posts carry a role tag on every
node, sent in the persona's actor document and a post's author, and nothing more of them."""

from __future__ import annotations

import json
import re

from conftest import (
    BrowserFactory,
    StartNode,
    act,
    eventually,
    host_and_partner,
    shows,
    signed_get,
    subnet_path,
    write,
)

TAG = re.compile(r'nhsuk-tag--blue">\s*Clinician\s*</strong>')


async def test_home_staff_reach_the_record_partner_staff_see_the_name_and_trust(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, people = await host_and_partner(start_node, browser)
    clinician, sam, partner_nurse = people["dr-ahmed"], people["sam"], people["nurse-kim"]
    assert await act(sam, subnet, "/subnet/pseudonym", {"pseudonym": "Wren"}) == 200
    await write(sam, subnet, "Not a good week, to be honest")
    sam_id = (await a.person_uri("sam")).rsplit("/", 1)[1]
    status, _ = await clinician.submit(
        f"/staff/people/{sam_id}",
        f"/staff/people/{sam_id}/details",
        {"real_name": "Sam Okafor", "email": "sam@example.com", "phone": "01632 960 002"},
    )
    assert status == 200

    status, html = await clinician.get(subnet_path(subnet))
    link = f'href="/staff/people/{sam_id}"><strong>Wren</strong>'
    assert status == 200 and link in html
    status, record = await clinician.get(f"/staff/people/{sam_id}")
    assert status == 200
    assert "Sam Okafor" in record and "sam@example.com" in record and "01632 960002" in record
    assert "Carers</dt>" in record and ">Wren</dd>" in record  # the name in that subnet
    status, own = await sam.get(subnet_path(subnet))
    assert "/staff/people/" not in own  # members never get a link

    await eventually(lambda: shows(partner_nurse, subnet, "Not a good week"))
    status, html = await partner_nurse.get(subnet_path(subnet))
    assert "<strong>Wren</strong> · Host Trust" in html and "/staff/people/" not in html
    assert "Sam Okafor" not in html


async def test_staff_posts_carry_their_role_tag_on_every_node_and_nothing_more(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    await write(people["dr-ahmed"], subnet, "Drop-in session on Thursday at 2pm")
    await write(people["nurse-kim"], subnet, "Our clinic is open late on Wednesdays")
    await write(people["sam"], subnet, "Thanks, I will come along")
    sam, kim = people["sam"], people["nurse-kim"]
    await eventually(lambda: shows(sam, subnet, "open late on Wednesdays"))
    await eventually(lambda: shows(kim, subnet, "Drop-in session"))
    for reader in (sam, kim):  # A reads Kim's from B; B reads Dr Ahmed's from A
        _, html = await reader.get(subnet_path(subnet))
        posts = html.split('id="posts"', 1)[1]
        assert len(TAG.findall(posts)) == 2, posts
        for card in posts.split('<li class="nhsuk-card')[1:]:
            assert bool(TAG.search(card)) == ("Thanks, I will" not in card)

    persona = await a.member_uri("dr-ahmed", subnet)
    status, body = await signed_get(b, persona)
    document = json.loads(body)
    assert status == 200 and document["staffRole"] == "Clinician"
    assert set(document) <= {
        "@context",
        "id",
        "type",
        "preferredUsername",
        "name",
        "manuallyApprovesFollowers",
        "outbox",
        "inbox",
        "publicKey",
        "assertionMethod",
        "endpoints",
        "staffRole",
    }
    member = await a.member_uri("sam", subnet)
    status, body = await signed_get(b, member)
    assert status == 200 and "staffRole" not in json.loads(body)
