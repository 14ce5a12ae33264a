"""Running a node: /healthz, /readyz and /metrics on real nodes, scraped with Prometheus' own
text parser while two trusts federate."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from conftest import (
    BrowserFactory,
    MovableClock,
    StartNode,
    TestNode,
    eventually,
    peer_all,
    share,
    shows,
    write,
)
from prometheus_client.parser import text_string_to_metric_families
from test_scale_out import TOKEN as SERVE_TOKEN
from test_scale_out import answers, hand_over, spawn, stop_all
from test_three_trusts import _join_done

from node import manage
from node.app import WORKERS
from node.cli import main
from node.settings import SettingsError, load
from storage.models import new_id

TOKEN = "metrics-token-for-tests-0123456789"


async def scrape(
    node: TestNode, token: str = TOKEN
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the node's /metrics, keyed by name and sorted labels."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(node.url + "/metrics", headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def get_json(node: TestNode, path: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(node.url + path) as response:
        return response.status, await response.json()


async def test_metrics_move_as_two_trusts_federate(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare", metrics_token=TOKEN)
    b = await start_node("Oxford Health", metrics_token=TOKEN)
    await manage.peer_add(a.directory, b.url)
    await manage.peer_add(b.directory, a.url)
    await a.add_user("sam", "carer", "Sam Planted-Pseudonym")
    await b.add_user("alex", "carer", "Alex Planted-Pseudonym")
    carers = await manage.subnet_create(a.directory, "carers", "Carers across the valley")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, carers, "alex")
    await eventually(lambda: _join_done(a))
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    a_before, b_before = await scrape(a), await scrape(b)

    texts = [f"Respite helped this week (metrics marker {n}QX)" for n in range(3)]
    for text in texts:
        await write(alex, carers, text)
    await eventually(lambda: shows(sam, carers, texts[-1]))
    assert await shows(sam, carers, texts[0])  # a second read: served from A's RAM cache
    a_after, b_after = await scrape(a), await scrape(b)

    a_host, b_host = a.url.split("//")[1], b.url.split("//")[1]
    # B screened each post and delivered each Create to A, which accepted them at its inbox.
    assert moved(b_before, b_after, "sharon_screenings_total", level="none") == 3
    assert moved(b_before, b_after, "sharon_screening_duration_seconds_count") == 3
    assert moved(b_before, b_after, "sharon_deliveries_total", peer=a_host, outcome="2xx") >= 3
    inbox_accepted = moved(
        a_before, a_after, "sharon_inbox_requests_total", outcome="accepted", status="202"
    )
    assert inbox_accepted >= 3
    # A fetched the text live from B (a miss, then a hit from the cache).
    assert moved(a_before, a_after, "sharon_peer_fetches_total", peer=b_host, outcome="2xx") >= 1
    assert moved(a_before, a_after, "sharon_cache_misses_total") >= 1
    assert moved(a_before, a_after, "sharon_cache_hits_total") >= 1
    assert value(a_after, "sharon_cache_entries") >= 3
    # Requests are counted by route pattern: the form posts on B, the subnet page on A.
    assert (
        moved(
            b_before,
            b_after,
            "sharon_http_requests_total",
            route="/subnet/posts",
            method="POST",
            status="303",
        )
        == 3
    )
    assert (
        moved(
            a_before,
            a_after,
            "sharon_http_requests_total",
            route="/subnet",
            method="GET",
            status="200",
        )
        >= 2
    )
    assert value(a_after, "sharon_http_request_duration_seconds_count", route="/subnet") >= 2
    for queue in ("inbox", "outbox", "delivery"):
        assert ("sharon_queue_depth", (("queue", queue),)) in a_after
        assert ("sharon_queue_oldest_age_seconds", (("queue", queue),)) in a_after
    assert value(a_after, "sharon_open_alerts") == 0

    # The workers' counters: B planned and delivered its three Creates; A processed them from
    # its inbox, planned the Announces and delivered them to B. Nothing failed for good.
    async def worked(node: TestNode, before: dict, queues: tuple[str, ...]) -> bool:
        now = await scrape(node)
        return all(
            moved(before, now, "sharon_queue_items_total", queue=q, outcome="done") >= 3
            for q in queues
        )

    await eventually(lambda: worked(b, b_before, ("planning", "delivery")))
    await eventually(lambda: worked(a, a_before, ("processing", "planning", "delivery")))
    for samples in (await scrape(a), await scrape(b)):
        for queue in ("processing", "planning", "delivery"):
            assert value(samples, "sharon_queue_items_total", queue=queue, outcome="failed") == 0

    # Each delivery counted once where workers and /metrics share a process: all that B sent A
    # is what A's inbox accepted.
    async def each_delivery_counted_once() -> bool:
        delivered = moved(
            b_before, await scrape(b), "sharon_deliveries_total", peer=a_host, outcome="2xx"
        )
        accepted = moved(
            a_before,
            await scrape(a),
            "sharon_inbox_requests_total",
            outcome="accepted",
            status="202",
        )
        return delivered == accepted

    await eventually(each_delivery_counted_once)

    # A refused request at the inbox is counted by its status.
    async with aiohttp.ClientSession() as http:
        async with http.post(a.url + "/inbox", data=b"{}") as response:
            refused = response.status
    assert refused >= 400
    a_last = await scrape(a)
    assert (
        moved(
            a_after, a_last, "sharon_inbox_requests_total", outcome="refused", status=str(refused)
        )
        == 1
    )

    # No label holds a person, a post or a raw path: only patterns, hosts, statuses, levels.
    for samples in (a_last, b_after):
        labels = " ".join(v for _, pairs in samples for _, v in pairs)
        for secret in ("sam", "alex", "Planted", "marker", "?", "/posts/", "/people/"):
            assert secret not in labels, secret


async def test_a_node_with_metrics_and_request_logs_off_federates_without_them(
    start_node: StartNode, browser: BrowserFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    quiet = {"metrics": False, "request_logging": False, "metrics_token": TOKEN}
    a = await start_node("Quiet Hosting Trust", **quiet)
    b = await start_node("Quiet Partner Trust", **quiet)
    await manage.peer_add(a.directory, b.url)
    await manage.peer_add(b.directory, a.url)
    await a.add_user("sam", "carer")
    await b.add_user("alex", "carer")
    carers = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, carers, "alex")
    await eventually(lambda: _join_done(a))
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    await write(alex, carers, "Written where nothing counts requests")
    await eventually(lambda: shows(sam, carers, "Written where nothing counts requests"))

    async with aiohttp.ClientSession() as http:
        for node in (a, b):
            async with http.get(
                node.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
            ) as response:
                assert response.status == 404  # not there at all, whatever the token
                assert "X-Request-Id" not in response.headers
    assert not [r for r in caplog.records if r.name == "aiohttp.access"]
    assert not [r for r in caplog.records if hasattr(r, "request_id")]


async def test_metrics_need_the_configured_bearer_token(start_node: StartNode) -> None:
    hidden = await start_node("No token")
    guarded = await start_node("Token", metrics_token=TOKEN)
    async with aiohttp.ClientSession() as http:
        async with http.get(hidden.url + "/metrics") as response:
            assert response.status == 404
        async with http.get(
            hidden.url + "/metrics", headers={"Authorization": "Bearer "}
        ) as response:
            assert response.status == 404
        for header in (
            {},
            {"Authorization": "Bearer wrong-token-wrong-token"},
            {"Authorization": TOKEN},
        ):
            async with http.get(guarded.url + "/metrics", headers=header) as response:
                assert response.status == 401
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert ("sharon_open_alerts", ()) in await scrape(guarded)


async def test_health_and_readiness_of_a_running_node(start_node: StartNode) -> None:
    node = await start_node("Healthy", metrics_token=TOKEN)
    assert await get_json(node, "/healthz") == (200, {"status": "alive"})
    status, body = await get_json(node, "/readyz")
    assert status == 200 and body["status"] == "ready"
    checks = body["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["workers"]["stopped"] == []
    assert {"inbox writer", "processing", "delivery"} <= set(checks["workers"]["running"])
    assert checks["queues"]["ok"] and set(checks["queues"]) >= {"inbox", "outbox", "delivery"}

    # A worker that has stopped makes the node not ready, and the body says which, until its
    # supervisor restarts it (after half a second).
    task = node.runner.app[WORKERS]["delivery"]
    task.cancel()
    await eventually(lambda: _async(task.done()))
    status, body = await get_json(node, "/readyz")
    assert status == 503 and body["status"] == "not ready"
    assert body["checks"]["workers"] == {
        "ok": False,
        "running": sorted(set(checks["workers"]["running"]) - {"delivery"}),
        "stopped": ["delivery"],
    }

    async def ready_again() -> bool:
        return (await get_json(node, "/readyz"))[0] == 200

    await eventually(ready_again)
    assert await get_json(node, "/healthz") == (200, {"status": "alive"})
    assert value(await scrape(node), "sharon_task_restarts_total", task="delivery") == 1


async def test_not_ready_while_a_queued_item_waits_too_long(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    clock = MovableClock()
    node = await start_node("Stuck", run_workers=False, clock=clock, ready_queue_seconds=60)
    await node.add_user("sam", "carer")
    subnet = await manage.subnet_create(node.directory, "carers", "Carers")
    await manage.subnet_add(node.directory, "carers", "sam")
    sam = browser(node)
    await sam.sign_in("sam")
    await write(sam, subnet, "A post whose outbox event no worker takes")

    status, body = await get_json(node, "/readyz")
    assert status == 200, body
    assert body["checks"]["queues"]["outbox"]["depth"] >= 1
    assert body["checks"]["workers"]["running"] == ["inbox writer"]

    clock.advance(timedelta(seconds=61))
    status, body = await get_json(node, "/readyz")
    assert status == 503 and body["status"] == "not ready"
    outbox = body["checks"]["queues"]["outbox"]
    assert outbox["late"] is True and outbox["oldest_due_seconds"] > 60
    assert body["checks"]["database"]["ok"] and body["checks"]["workers"]["ok"]
    assert "A post" not in str(body)


async def _async(value: bool) -> bool:
    return value


async def test_what_the_worker_process_does_is_counted_on_the_web_process_metrics(
    start_node: StartNode,
) -> None:
    """`sharon serve` on SQLite: a web process answering /metrics, and a worker process beside
    it processing the inbox; the worker's counts reach the web process through the database."""
    sender, target = await start_node("Sending Trust"), await start_node("Counting Trust")
    await peer_all(sender, target)
    await hand_over(target)
    served = [spawn(target.directory)]
    try:
        await eventually(lambda: answers(target.url), within=60)
        before = await scrape(target, SERVE_TOKEN)
        async with aiohttp.ClientSession() as http:
            for _ in range(5):  # Deletes of posts it never heard of: processed, harmlessly
                activity = {
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": f"{sender.url}/activities/{new_id()}",
                    "type": "Delete",
                    "actor": f"{sender.url}/actor",
                    "object": {"id": f"{sender.url}/posts/{new_id()}", "type": "Tombstone"},
                }
                response = await sender.signed_client(http).post(
                    f"{target.url}/inbox", activity, signer=f"{sender.url}/actor", scheme="rfc9421"
                )
                assert response.status == 202

        async def processed_all() -> bool:
            now = await scrape(target, SERVE_TOKEN)
            done = moved(
                before, now, "sharon_queue_items_total", queue="processing", outcome="done"
            )
            return done == 5

        await eventually(processed_all, within=30)
    finally:
        stop_all(served)


async def test_deliveries_the_worker_process_sends_are_counted_per_peer_on_the_web_process(
    start_node: StartNode,
) -> None:
    """`sharon serve` on SQLite: the worker process delivers the share invitation (and what
    follows it) to a real peer; the web process's /metrics counts each delivery by that peer,
    once — as many as the peer's inbox accepted."""
    partner = await start_node("Partner Trust", metrics_token=TOKEN)
    host = await start_node("Serving Trust")
    await peer_all(partner, host)
    await hand_over(host)
    served = [spawn(host.directory)]
    try:
        await eventually(lambda: answers(host.url), within=60)
        host_before, partner_before = await scrape(host, SERVE_TOKEN), await scrape(partner)
        await manage.subnet_create(host.directory, "carers", "Carers across the valley")
        await share(host, "carers", partner)
        partner_host = partner.url.split("//")[1]
        seen: list[tuple[float, float]] = []

        async def counted_as_accepted() -> bool:
            delivered = moved(
                host_before,
                await scrape(host, SERVE_TOKEN),
                "sharon_deliveries_total",
                peer=partner_host,
                outcome="2xx",
            )
            accepted = moved(
                partner_before,
                await scrape(partner),
                "sharon_inbox_requests_total",
                outcome="accepted",
                status="202",
            )
            seen.append((delivered, accepted))
            return delivered >= 1 and delivered == accepted

        await eventually(counted_as_accepted, within=30)
        delivered, accepted = seen[-1]
        assert delivered >= 1, "the worker's deliveries to the partner are counted for it"
        assert delivered == accepted, "each counted once: as many as the partner accepted"
    finally:
        stop_all(served)


def _node_dir(tmp_path: Path, extra: str) -> Path:
    node = tmp_path / "trust"
    main(["init", str(node), "--url", "http://127.0.0.1:9", "--name", "Test Trust"])
    with (node / "sharon.toml").open("a") as config:
        config.write(extra)
    return node


def test_metrics_and_request_logging_are_on_unless_switched_off(tmp_path: Path) -> None:
    node = _node_dir(tmp_path, "")
    on = load(node, environ={})
    assert on.metrics and on.request_logging
    off = load(node, environ={"SHARON_METRICS": "false", "SHARON_REQUEST_LOGGING": "False"})
    assert not off.metrics and not off.request_logging
    toml = load(_node_dir(tmp_path / "toml", "metrics = false\n"), environ={})
    assert not toml.metrics and toml.request_logging


@pytest.mark.parametrize("given", ['metrics = "off"', "request_logging = 0"])
def test_an_on_off_setting_takes_only_true_or_false(tmp_path: Path, given: str) -> None:
    with pytest.raises(SettingsError, match="must be true or false") as raised:
        load(_node_dir(tmp_path, given + "\n"), environ={})
    assert given.split(" ")[0] in str(raised.value)


async def test_methods_beyond_the_usual_few_are_counted_as_other(start_node: StartNode) -> None:
    """Each label value a client can choose is a series kept for good: WebDAV methods, which
    aiohttp lets through, are counted together."""
    a = await start_node("Berkshire Healthcare", metrics_token=TOKEN)
    before = await scrape(a)
    async with aiohttp.ClientSession() as http:
        for method in ("PROPFIND", "MKCOL", "TRACE", "GET"):
            async with http.request(method, a.url + "/healthz"):
                pass
    after = await scrape(a)
    requests = "sharon_http_requests_total"
    counted = {dict(labels)["method"] for name, labels in after if name == requests}
    assert counted <= {"GET", "HEAD", "POST", "other"}
    assert moved(before, after, requests, route="unmatched", method="other", status="405") == 3
    assert moved(before, after, requests, route="/healthz", method="GET", status="200") == 1
