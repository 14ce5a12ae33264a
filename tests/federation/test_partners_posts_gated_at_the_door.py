"""The README: a peer that is not a partner of a subnet — "anything it sends about that subnet
or its posts is refused (403) before it is stored". Its posts include those a partner's member
wrote (their URIs are on the partner's host, not ours): a non-partner that learnt such a URI
(a former partner, say) may not have a Like, Announce, Delete or reply about it stored here.
Real signed requests between real nodes."""

from __future__ import annotations

import uuid

import pytest
from conftest import BrowserFactory, StartNode, TestNode, eventually, peer_all, share, write
from test_subnet_refusals import _send

from node import manage
from storage.models import PostRef


@pytest.fixture
async def partner_post(
    start_node: StartNode, browser: BrowserFactory
) -> tuple[TestNode, TestNode, TestNode, str, str]:
    """A hosts carers shared with B; alex (on B) has posted there; C is a peer of both but
    no partner of carers."""
    a, b, c = await start_node("Host"), await start_node("Partner"), await start_node("Stranger")
    await peer_all(a, b, c)
    await b.add_user("alex", "carer")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(b.directory, subnet, "alex")
    await eventually(lambda: _members(a, subnet))
    alex = browser(b)
    await alex.sign_in("alex")
    await write(alex, subnet, "The partner's post (marker PP1)")
    post = await b.post_uri("The partner's post (marker PP1)")

    async def referenced() -> bool:
        return await a.count(PostRef) == 1

    await eventually(referenced)
    return a, b, c, subnet, post


async def _members(node: TestNode, subnet: str) -> bool:
    return await node.members_in(subnet) == 1


async def test_a_non_partner_is_refused_at_the_door_about_a_partners_post_in_the_subnet(
    partner_post: tuple[TestNode, TestNode, TestNode, str, str],
) -> None:
    a, _b, c, _subnet, post = partner_post
    cases = [
        {"type": "Like", "object": post},
        {"type": "Announce", "object": post},
        {"type": "Announce", "object": {"id": post, "type": "Note"}},
        {
            "type": "Create",
            "object": {
                "id": f"{c.url}/posts/{uuid.uuid4().hex}",
                "type": "Note",
                "inReplyTo": post,
                "content": "x",
            },
            "target": f"{c.url}/subnets/elsewhere",
        },
    ]
    outcomes = [await _send(c, a, activity) for activity in cases]
    assert outcomes == ["refused"] * len(cases)
