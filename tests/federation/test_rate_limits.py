"""A peer that sends more than its budget gets 429 with Retry-After; nothing it sent then is
stored, and requests within budget (and other peers) are unaffected."""

from __future__ import annotations

import json

import aiohttp
from conftest import StartNode, TestNode, eventually
from test_inbox_refusals import _create, _signed, _two_partners

from federation.keys import NodeKeys
from federation.limits import PeerRateLimiter
from storage.models import Membership


async def _joined(node: TestNode) -> bool:
    return await node.count(Membership) >= 1


async def test_a_peer_over_its_budget_gets_429_with_retry_after_and_nothing_is_stored(
    start_node: StartNode,
) -> None:
    a, b, subnet, actor = await _two_partners(
        start_node, host_settings={"peer_requests_per_second": 0.2, "peer_request_burst": 10}
    )
    await eventually(lambda: _joined(a))
    keys = NodeKeys.load(b.directory)
    statuses, retry_after, accepted, refused = [], None, [], []
    async with aiohttp.ClientSession() as http:
        for _ in range(20):
            activity = _create(b, actor, subnet)
            body = json.dumps(activity).encode()
            headers = _signed(f"{a.url}/inbox", body, f"{actor}#main-key", keys.rsa)
            async with http.post(f"{a.url}/inbox", data=body, headers=headers) as response:
                statuses.append(response.status)
                (accepted if response.status == 202 else refused).append(activity["id"])
                if response.status == 429:
                    retry_after = response.headers.get("Retry-After")
                    assert "too many requests" in await response.text()
    assert statuses[0] == 202 and 429 in statuses
    assert set(statuses) == {202, 429}
    assert retry_after is not None and int(retry_after) >= 1
    stored = await a.all_rows_text()
    assert all(activity_id in stored for activity_id in accepted)
    assert not any(activity_id in stored for activity_id in refused)


def test_the_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = PeerRateLimiter(rate=2.0, burst=2, monotonic=lambda: now[0])
    assert limiter.take("p") is None and limiter.take("p") is None
    assert limiter.take("p") == 1
    assert limiter.take("other") is None
    now[0] += 0.5
    assert limiter.take("p") is None
    assert limiter.take("p") == 1


def test_processes_of_one_node_share_each_peers_budget() -> None:
    now = [0.0]
    web_1, web_2 = (PeerRateLimiter(rate=1.0, burst=10, monotonic=lambda: now[0]) for _ in "12")
    for _ in range(6):
        assert web_1.take("p") is None
    web_2.spent_elsewhere(web_1.drain_spent())  # node/shared.py sends this between processes
    for _ in range(4):
        assert web_2.take("p") is None
    assert web_2.take("p") is not None  # 6 here and 4 there: the node's burst of 10 is spent
    web_1.spent_elsewhere(web_2.drain_spent())
    assert web_1.take("p") is not None
    assert web_1.drain_spent() == {}  # a refused request is nobody's spending
