"""Eating-disorder numbers across trusts: a subnet's `numbers` setting, published in its Group
document, masks (or hides) weights, BMI, calories, sizes and exercise amounts wherever a post
is read — on the subnet's host and on partner nodes — while its author sees their own words."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from conftest import (
    BrowserFactory,
    StartNode,
    TestNode,
    eventually,
    host_and_partner,
    moderate_path,
    shows,
    signed_get,
    subnet_path,
    write,
)
from pyld import jsonld as pyld

from actors.retention import PolicyChange
from federation.jsonld import bundled_loader
from federation.remote import parse_actor
from node import manage
from node.cli import main
from storage.models import Peer, RemoteActor, Subnet

MASKED_52KG = '<span class="sharon-number__value">52kg</span>'
SHARON = "https://w3id.org/sharon#"


async def _with_alex(a: TestNode, b: TestNode, subnet: str, browser: BrowserFactory) -> Any:
    """Alex on B joins the subnet hosted on A; returns once A knows them."""
    await manage.subnet_add(b.directory, subnet, "alex")

    async def joined() -> bool:
        return await a.members_in(subnet) == 4

    await eventually(joined)
    alex = browser(b)
    await alex.sign_in("alex")
    return alex


async def _numbers_on(node: TestNode, subnet: str) -> str | None:
    async with node.db.transaction() as s:
        group = await s.get(RemoteActor, subnet)
    return group.numbers if group else None


async def test_a_weight_from_a_partner_is_masked_on_host_and_partner(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser, numbers="masked")
    assert await _numbers_on(b, subnet) == "masked"
    alex = await _with_alex(a, b, subnet, browser)
    text = "Lost 3lbs, now 52kg. Clinic on 3rd May at 10:30 (marker N4M8)"
    await write(alex, subnet, text)

    for reader in (people["sam"], people["dr-ahmed"], people["nurse-kim"]):
        await eventually(lambda reader=reader: shows(reader, subnet, "N4M8"))
        _, html = await reader.get(subnet_path(subnet))
        assert "Lost 3lbs" not in html and "now 52kg" not in html
        assert 'now <details class="sharon-number"><summary>show number' in html
        assert MASKED_52KG in html
        # Dates and times are not eating-disorder numbers: they read as written.
        assert "Clinic on 3rd May at 10:30 (marker N4M8)" in html
        # Everyone is told before writing that numbers are covered here, and why.
        assert "A note about numbers" in html and "recovering from an eating disorder" in html

    # The author sees their own words in full.
    _, html = await alex.get(subnet_path(subnet))
    assert "Lost 3lbs, now 52kg." in html and MASKED_52KG not in html


async def test_hidden_numbers_never_reach_any_readers_page(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, people = await host_and_partner(start_node, browser)
    assert await _numbers_on(b, subnet) == "shown"
    # The host's admin changes the policy; the Group's Update tells the partner.
    await manage.subnet_policy(a.directory, "carers", PolicyChange(numbers="hidden"))

    async def partner_heard() -> bool:
        return await _numbers_on(b, subnet) == "hidden"

    await eventually(partner_heard)
    alex = await _with_alex(a, b, subnet, browser)
    await write(alex, subnet, "Weighed in at 47.3kg and did 15,000 steps (marker H2D6)")
    await write(people["sam"], subnet, "My BMI of 13.9 scares me (marker H9S1)")

    numbers_by_author = {alex: ["47.3", "15,000"], people["sam"]: ["13.9"]}
    for reader in (people["sam"], people["dr-ahmed"], people["nurse-kim"], alex):
        await eventually(lambda reader=reader: shows(reader, subnet, "H2D6"))
        await eventually(lambda reader=reader: shows(reader, subnet, "H9S1"))
        _, html = await reader.get(subnet_path(subnet))
        assert "[number hidden]" in html and "are hidden from other members" in html
        for author, digits in numbers_by_author.items():
            for number in digits:
                # Not in the page at all, masked or otherwise — unless it is the reader's own.
                assert (number in html) == (author is reader), (number, reader.base)


async def test_held_posts_show_numbers_as_the_subnet_says(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _, _, subnet, people = await host_and_partner(
        start_node, browser, premoderation=True, numbers="hidden"
    )
    await write(people["sam"], subnet, "Down to 1200 cals a day (marker P5Q3)")

    async def held() -> bool:
        _, html = await people["dr-ahmed"].get(moderate_path(subnet))
        return "P5Q3" in html

    await eventually(held)
    _, html = await people["dr-ahmed"].get(moderate_path(subnet))
    assert "1200" not in html and "Down to [number hidden] a day" in html


async def test_group_document_publishes_the_setting_as_a_term_of_our_context(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _, b, subnet, _ = await host_and_partner(
        start_node, browser, numbers="masked", premoderation=True
    )
    status, body = await signed_get(b, subnet)
    assert status == 200
    group = json.loads(body)
    assert group["numbers"] == "masked" and group["premoderation"] is True
    expanded = pyld.expand(group, {"documentLoader": bundled_loader})[0]
    assert expanded[f"{SHARON}numbers"] == [{"@value": "masked"}]
    assert expanded[f"{SHARON}premoderation"] == [{"@value": True}]


async def test_admin_and_cli_set_the_numbers_setting_and_refuse_bad_values(
    start_node: StartNode, browser: BrowserFactory, capsys: Any
) -> None:
    a = await start_node("Host Trust")
    await a.add_user("admin", "admin")
    await manage.subnet_create(a.directory, "eating-disorders", "Eating disorders")
    admin = browser(a)
    await admin.sign_in("admin")
    fields = {"slug": "eating-disorders", "posting": "all", "numbers": "blurred"}
    status, html = await admin.submit("/admin", "/admin/policy", fields)
    assert status == 400 and "Numbers must be" in html
    assert await _local_numbers(a) == "shown"

    fields["numbers"] = "masked"
    status, html = await admin.submit("/admin", "/admin/policy", fields)
    assert status == 200 and '<option value="masked" selected>' in html
    assert await _local_numbers(a) == "masked"

    argv = ["subnet", "policy", str(a.directory), "eating-disorders", "--numbers", "hidden"]
    capsys.readouterr()
    assert await asyncio.to_thread(main, argv) == 0
    assert "numbers=hidden" in capsys.readouterr().out
    assert await _local_numbers(a) == "hidden"


async def _local_numbers(node: TestNode) -> str:
    async with node.db.transaction() as s:
        subnets = (await s.execute(Subnet.__table__.select())).all()
    return str(subnets[0].numbers)


def test_a_partners_group_in_another_json_ld_form_is_read_the_same() -> None:
    """A Group written with full IRIs (pyld's slow path) gives the same setting; a value this
    node does not know is read as masked, one that is missing (an older node) as shown."""
    peer = Peer(id="p", host="partner.example", url="https://partner.example")
    base = {
        "id": "https://partner.example/subnets/ed",
        "type": "Group",
        "inbox": "https://partner.example/inbox",
    }
    expanded = {
        "@context": "https://www.w3.org/ns/activitystreams",
        **base,
        f"{SHARON}numbers": "hidden",
        f"{SHARON}premoderation": True,
    }
    group = parse_actor(expanded, peer, None)
    assert group.numbers == "hidden" and group.premoderation is True
    assert parse_actor({**base, "numbers": "blurred"}, peer, None).numbers == "masked"
    assert parse_actor(base, peer, None).numbers == "shown"
