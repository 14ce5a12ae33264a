"""Page weight and search speed, as a person on a phone would meet them.

Run from the project root: ``.venv/bin/python bench/pages.py`` (about a minute; ``--posts N``
sets the posts per node for the search part, 10,000 by default; ``--search-only`` skips the
page weight; ``--profile FILE`` saves a cProfile of the timed searches, all three nodes, for
``python -m pstats``; ``--postgres postgresql://user@host:5432/db`` runs the nodes on
PostgreSQL, each in a database of its own made there and dropped at the end). It prints
figures and asserts nothing (design.md: tests never make timed assertions). Three real nodes
run in this process on 127.0.0.1 ports, by default with SQLite databases in a temporary
directory removed at the end.

1. **A subnet page with 50 posts** (written through the web form by one member, so each post
   carries the author's own links and forms: the heaviest case). Figures, as sent on the wire
   with ``Accept-Encoding: gzip``: the page's HTML; a *first visit* (the page, every stylesheet,
   script and module it links, and the favicon); a *repeat visit* (the page again, and a
   revalidation of whatever is not cached as immutable). Header bytes are counted too.
   Targets (issue 13): HTML <= 60 KB, first visit <= 120 KB, repeat visit <= 30 KB.
2. **Search across 3 nodes**: a subnet hosted on A and shared with B and C, each node holding
   N posts of its own in it (inserted straight into its database, so the text index fills
   through its triggers) and A holding references to the others' posts. A member on A searches
   all her subnets for a mix of common and rare words: A's own index, and B and C asked at home
   over signed HTTP in parallel. p50 and p95 of the whole page request. Target: p95 <= 300 ms.
3. **The subnet page under concurrent readers** (``--readers N``, 64 by default): the same
   subnet's page on A, its newest 50 posts from the three homes, asked by N readers at once
   with A's RAM cache of remote posts empty (cold), then ten rounds warm. For this part node A
   leaves this process and runs as ``sharon serve`` (a web process and a worker process, as a
   trust runs it), so the readers' client and nodes B and C are not on its event loop; its
   web process's CPU time per page is printed beside the latencies, and the latency of one
   reader alone (what each page costs, without the queue of 63 others before it). Target
   (issue 11): warm p95 <= 50 ms.
4. **Memory bounded by the cache cap**: a member on A reads every page, newest to oldest, so
   remote posts pass through A's RAM cache (``--cache-entries``, 2,000 by default for node A
   here, 10,000 in a node's own default) several times over; the memory Python holds
   (tracemalloc) and the RSS as the cache fills and turns over. Target (issue 11): no growth
   once the cache is full.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/pages.py`, Python puts bench/ first on sys.path, where bench/federation.py
# would shadow the project's `federation` package. Take it off before importing the project.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import gc
import gzip
import os
import random
import re
import shutil
import socket
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

import aiohttp
import asyncpg
from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy import insert, select, text

from actors.clock import utcnow
from node import manage
from node.app import RESOLVER, create_app
from node.settings import Settings
from storage.engine import Database
from storage.models import Peer, Person, Post, PostRef, RemoteActor, new_id

PROJECT = Path(__file__).resolve().parents[1]
HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "a-long-enough-password"  # noqa: S105 - a throwaway node's test account
ASSET = re.compile(r'(?:href|src)="(/(?:nhsuk|static)/[^"]+)"|"(/nhsuk/[^"]+\.js)"')
WORDS = (
    "tired hopeful sleep walking anxious mornings respite mum dad school appointment waiting list "
    "clinic nurse carer garden tea rain weekend holiday worried calm breathing group meeting "
    "therapy session letter phone call bus train work shift night day week month better worse "
    "again today tomorrow yesterday support friend sister brother kids dog cat music reading"
).split()


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Node:
    directory: Path
    settings: Settings
    runner: web.AppRunner

    @property
    def url(self) -> str:
        return self.settings.url


async def start(
    root: Path, name: str, database_url: str | None = None, cache_entries: int | None = None
) -> Node:
    port = free_port()
    directory = root / name.lower()
    settings = await asyncio.to_thread(
        manage.init_node,
        directory,
        url=f"http://127.0.0.1:{port}",
        name=name,
        database_url=database_url,
    )
    if cache_entries is not None:
        settings = dataclasses.replace(settings, cache_entries=cache_entries)
    runner = web.AppRunner(await create_app(settings, hasher=HASHER), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return Node(directory, settings, runner)


async def until(check, within: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise SystemExit("the nodes did not federate in time")
        await asyncio.sleep(0.05)


async def share(host: Node, partner: Node, subnet_uri: str) -> None:
    await manage.subnet_share(host.directory, "carers", partner.url)

    async def offered() -> bool:
        return any(
            o.subnet_uri == subnet_uri for o, _ in await manage.share_list(partner.directory)
        )

    await until(offered)
    await manage.share_answer(partner.directory, subnet_uri, accept=True)
    db = Database.connect(partner.settings.database_url)
    try:

        async def listed() -> bool:
            async with db.transaction() as s:
                group = await s.get(RemoteActor, subnet_uri)
            return group is not None and f"{partner.url}/actor" in group.partners

        await until(listed)
    finally:
        await db.close()


async def signed_in(http: aiohttp.ClientSession, node: Node, username: str) -> None:
    async with http.get(node.url + "/sign-in") as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', await text_of(response))
    assert token
    data = {"csrf_token": token.group(1), "username": username, "password": PASSWORD}
    async with http.post(node.url + "/sign-in", data=data) as response:
        if "My subnets" not in await text_of(response):
            raise SystemExit(f"could not sign in as {username}")


async def text_of(response: aiohttp.ClientResponse) -> str:
    """The page's text, whether or not it came compressed (the client does not decompress)."""
    return plain(response, await response.read()).decode()


def plain(response: aiohttp.ClientResponse, body: bytes) -> bytes:
    compressed = response.headers.get("Content-Encoding") == "gzip" and body[:2] == b"\x1f\x8b"
    return gzip.decompress(body) if compressed else body


def wire_size(response: aiohttp.ClientResponse, body: bytes) -> int:
    head = sum(len(k) + len(v) + 4 for k, v in response.raw_headers) + 17
    return head + len(body)


async def fetch(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> tuple[int, bytes, aiohttp.ClientResponse]:
    async with http.get(
        url, headers={"Accept-Encoding": "gzip, deflate, br", **headers}
    ) as response:
        body = await response.read()
        return wire_size(response, body), body, response


async def page_weight(a: Node, subnet_uri: str) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, auto_decompress=False) as http:
        await signed_in(http, a, "sam")
        page = f"{a.url}/subnet?id={quote(subnet_uri, safe='')}"
        rng = random.Random(1)
        for i in range(50):
            async with http.get(page) as response:
                token = re.search(r'name="csrf_token" value="([^"]+)"', await text_of(response))
            assert token
            text = " ".join(rng.choice(WORDS) for _ in range(35)) + f" (post {i})"
            form = {"csrf_token": token.group(1), "subnet": subnet_uri, "content": text}
            async with http.post(a.url + "/subnet/posts", data=form) as response:
                assert response.status == 200
        html_wire, html, response = await fetch(http, page, {})
        text = plain(response, html).decode()
        assert text.count("(post ") == 50, "the page does not show 50 posts"
        assets = {m[0] or m[1] for m in ASSET.findall(text)}
        assets.add("/nhsuk/assets/images/favicon.svg")  # what a browser asks for besides
        first = html_wire
        repeat = html_wire
        for path in sorted(assets):
            size, _, response = await fetch(http, a.url + path, {})
            first += size
            cache = response.headers.get("Cache-Control", "")
            if "immutable" not in cache:  # the browser revalidates it on the next visit
                etag = response.headers.get("ETag", "")
                size, _, _ = await fetch(http, a.url + path, {"If-None-Match": etag})
                repeat += size
    say("Subnet page with 50 posts (bytes on the wire, gzip accepted):")
    say(
        f"  HTML                 {len(html) / 1024:7.1f} KB   (target <= 60 KB;"
        f" {len(text) / 1024:.1f} KB uncompressed)"
    )
    say(f"  first visit in all   {first / 1024:7.1f} KB   (target <= 120 KB; {len(assets)} files)")
    say(f"  repeat visit         {repeat / 1024:7.1f} KB   (target <= 30 KB)")


async def fill(node: Node, subnet_uri: str, username: str, count: int, seed: int) -> list[str]:
    """`count` posts by `username` in the subnet, straight into the node's database."""
    db = Database.connect(node.settings.database_url)
    rng = random.Random(seed)
    now = utcnow()
    try:
        async with db.transaction() as s:
            person = (
                await s.execute(select(Person).where(Person.username == username))
            ).scalar_one()
            rows = [
                {
                    "id": new_id(),
                    "author_id": person.id,
                    "subnet_uri": subnet_uri,
                    "content": " ".join(rng.choice(WORDS) for _ in range(30))
                    + f" rare{rng.randrange(count)}",
                    "published": now - timedelta(minutes=count - i),
                    "moderation_state": "visible",
                }
                for i in range(count)
            ]
            await s.execute(insert(Post), rows)
        await settled(db)
    finally:
        await db.close()
    return [f"{node.url}/posts/{row['id']}" for row in rows]


async def settled(db: Database) -> None:
    """PostgreSQL's statistics as a running server's autovacuum keeps them (it would ANALYZE
    within a minute of so many inserts), so the planner sees the rows just inserted."""
    if not db.is_sqlite:
        async with db.transaction() as s:
            await s.execute(text("ANALYZE"))


async def reference(host: Node, home: Node, uris: list[str], subnet_uri: str) -> None:
    """The host's references to `home`'s posts, as its inbox would have recorded them."""
    db = Database.connect(host.settings.database_url)
    now = utcnow()
    try:
        async with db.transaction() as s:
            peer = (await s.execute(select(Peer).where(Peer.url == home.url))).scalar_one()
            await s.execute(
                insert(PostRef),
                [
                    {
                        "object_uri": uri,
                        "subnet_uri": subnet_uri,
                        "author_uri": "",
                        "peer_id": peer.id,
                        "moderation_state": "visible",
                        "published": now - timedelta(minutes=len(uris) - i),
                        "received_at": now,
                    }
                    for i, uri in enumerate(uris)
                ],
            )
        await settled(db)
    finally:
        await db.close()


async def search_speed(
    nodes: list[Node], subnet_uri: str, posts: int, rounds: int, profile: str | None = None
) -> None:
    a, b, c = nodes
    started = time.monotonic()
    await fill(a, subnet_uri, "sam", posts, 1)
    await reference(a, b, await fill(b, subnet_uri, "bo", posts, 2), subnet_uri)
    await reference(a, c, await fill(c, subnet_uri, "cy", posts, 3), subnet_uri)
    say(
        f"\nSearch across 3 nodes, {posts:,} posts each"
        f" (filled in {time.monotonic() - started:.1f} s):"
    )
    queries = ["sleep", "anxious mornings", "rare42", "gard", "respite mum", "zzzz"]
    timings: dict[str, list[float]] = {q: [] for q in queries}
    cpu_times: list[float] = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await signed_in(http, a, "sam")
        for _ in range(2):  # warm up (keys, connections)
            async with http.get(f"{a.url}/search?q=warm") as response:
                await response.read()
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        for i in range(rounds):
            query = queries[i % len(queries)]
            began, cpu = time.perf_counter(), time.process_time()
            async with http.get(f"{a.url}/search?" + urlencode({"q": query})) as response:
                html = await response.text()
            timings[query].append(time.perf_counter() - began)
            cpu_times.append(time.process_time() - cpu)
            if "did not answer" in html:
                say(f"  (a partner did not answer for {query!r})")
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(profile))
    every = sorted(t for ts in timings.values() for t in ts)
    p95 = pct(every, 0.95)
    say(
        f"  {len(every)} searches: p50 {pct(every, 0.5):.0f} ms,"
        f" p95 {p95:.0f} ms  (target p95 <= 300 ms: {'met' if p95 <= 300 else 'MISSED'})"
    )
    cpu_times.sort()
    say(
        f"  CPU time of all three nodes per search (what other processes on the machine do"
        f" not change): p50 {pct(cpu_times, 0.5):.0f} ms, p95 {pct(cpu_times, 0.95):.0f} ms;"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    for query, ts in timings.items():
        say(f"    {query!r:22} p50 {pct(sorted(ts), 0.5):6.0f} ms  max {max(ts) * 1000:6.0f} ms")


@contextlib.asynccontextmanager
async def served_apart(node: Node) -> AsyncIterator[int]:
    """`node` moved out of this process: its in-process runner stopped, then ``sharon serve``
    started on its directory and port (a web process and a worker process, each freezing its
    start-up heap, as in production). Yields the web process's pid; stopped at the end."""
    await node.runner.cleanup()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "node.cli",
        "serve",
        str(node.directory),
        cwd=PROJECT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def answers() -> bool:
                try:
                    async with http.get(node.url + "/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            await until(answers, within=60.0)
        yield _web_child(process.pid)
    finally:
        process.terminate()
        await process.wait()


def _web_child(parent: int) -> int:
    """The pid of the `web 1` child of a `sharon serve` parent (which itself serves no HTTP):
    the first child forked, so the lower of the two pids."""
    with open(f"/proc/{parent}/task/{parent}/children") as listing:
        return min(int(pid) for pid in listing.read().split())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def readers_speed(nodes: list[Node], subnet_uri: str, readers: int, rounds: int) -> None:
    """`readers` concurrent requests for the subnet page on A (its newest 50 posts, from all
    three homes), A served apart by `sharon serve`: once with A's RAM cache of remote posts
    empty (cold: the first pages after it starts), then `rounds` times warm. Cold, each page
    fetches what it lacks in one batched, signed request per origin (federation/reading.py);
    concurrent cold pages each make their own."""
    a = nodes[0]
    url = f"{a.url}/subnet?id={quote(subnet_uri, safe='')}"
    connector = aiohttp.TCPConnector(limit=readers)
    async with (
        served_apart(a) as web_pid,
        aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), connector=connector
        ) as http,
    ):
        await signed_in(http, a, "sam")

        async def timed() -> float:
            began = time.perf_counter()
            async with http.get(url) as response:
                await response.read()
                assert response.status == 200, response.status
            return time.perf_counter() - began

        cold = sorted(await asyncio.gather(*(timed() for _ in range(readers))))
        alone = sorted([await timed() for _ in range(readers)])
        warm: list[float] = []
        cpu_before = cpu_seconds(web_pid)
        for _ in range(rounds):
            warm += await asyncio.gather(*(timed() for _ in range(readers)))
        cpu_per_page = (cpu_seconds(web_pid) - cpu_before) / len(warm) * 1000
        warm.sort()
    say(f"\nSubnet page (50 posts from 3 homes), {readers} concurrent readers on A (sharon serve):")
    say(f"  cold (A just started): p50 {pct(cold, 0.5):.0f} ms, p95 {pct(cold, 0.95):.0f} ms")
    say(
        f"  warm, one reader at a time ({len(alone)} pages): p50 {pct(alone, 0.5):.0f} ms, "
        f"p95 {pct(alone, 0.95):.0f} ms"
    )
    p95 = pct(warm, 0.95)
    say(
        f"  warm ({len(warm)} pages): p50 {pct(warm, 0.5):.0f} ms, p95 {p95:.0f} ms "
        f"(target p95 <= 50 ms: {'met' if p95 <= 50 else 'MISSED'}); A's web process "
        f"{cpu_per_page:.1f} ms CPU per page; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )


def rss_mb() -> float:
    """This process's resident set (all three nodes and the client), from /proc."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


OLDER = re.compile(r'href="(/subnet\?[^"]*older_than=[^"]*)"')
REMOTE_CARD = re.compile(r"</strong> · (?:Bravo|Charlie) · <time")


async def memory_while_reading(nodes: list[Node], subnet_uri: str) -> None:
    """A member on A reads every page of the subnet, newest to oldest (50 posts a page, two
    thirds of them from B and C, fetched into A's RAM cache), so the cache fills to its cap and
    then turns over several times. The memory Python holds (tracemalloc, net of what it held
    when the walk began) and the process's RSS are printed as it goes. Bounded by the cap, the
    memory stops growing once the cache is full; a cache that kept everything would grow by
    its filling's worth again with each turnover."""
    a = nodes[0]
    resolver = a.runner.app[RESOLVER]
    cache, cap = resolver.cache, a.settings.cache_entries
    cache.clear()
    say(f"\nMemory while one member reads every page (A's cache capped at {cap:,} posts):")
    path: str | None = f"/subnet?id={quote(subnet_uri, safe='')}"
    read = pages = shown_at = 0
    at_full: tuple[int, float] | None = None
    gc.collect()
    tracemalloc.start()

    def held_mb() -> float:
        return tracemalloc.get_traced_memory()[0] / 1024 / 1024

    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await signed_in(http, a, "sam")
            while path is not None:
                async with http.get(a.url + path.replace("&amp;", "&")) as response:
                    html = await response.text()
                pages += 1
                read += len(REMOTE_CARD.findall(html))
                if at_full is None and len(cache) >= cap:
                    gc.collect()
                    at_full, shown_at = (read, held_mb()), read
                    say(
                        f"  {read:7,} remote posts read: the cache is full; Python holds"
                        f" {at_full[1]:6.1f} MB more than at the start, RSS {rss_mb():6.1f} MB"
                    )
                elif read - shown_at >= cap:
                    shown_at = read
                    gc.collect()
                    say(
                        f"  {read:7,} remote posts read: cache {len(cache):6,}; Python holds"
                        f" {held_mb():6.1f} MB more, RSS {rss_mb():6.1f} MB"
                    )
                found = OLDER.search(html)
                path = found.group(1) if found else None
        gc.collect()
        ended = held_mb()
    finally:
        tracemalloc.stop()
    say(
        f"  {read:7,} remote posts read over {pages} pages; in flight at the end:"
        f" {len(resolver._in_flight)}"
    )
    if at_full is None:
        say("  the cache never filled; use more --posts or a smaller --cache-entries")
        return
    full_read, full_held = at_full
    growth = ended - full_held
    turnovers = (read - full_read) / cap
    say(
        f"  Python's memory grew {full_held:.1f} MB while the cache filled, then {growth:+.1f} MB"
        f" over {turnovers:.1f} more cachefuls read (target: bounded by the cap, i.e. growth"
        f" after filling well under one filling's worth:"
        f" {'met' if growth < 0.5 * full_held else 'MISSED'})"
    )


def pct(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))] * 1000


async def _server(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def main(
    posts: int,
    rounds: int,
    search_only: bool,
    profile: str | None,
    postgres: str | None,
    readers: int,
    cache_entries: int,
) -> None:
    root = Path(tempfile.mkdtemp(prefix="sharon-bench-pages-"))
    nodes: list[Node] = []
    databases: list[str] = []
    try:
        for name in ("Alpha", "Bravo", "Charlie"):
            url = None
            if postgres:
                databases.append(f"sharon_bench_{uuid.uuid4().hex[:12]}")
                await _server(postgres, f'CREATE DATABASE "{databases[-1]}"')
                url = postgres.rsplit("/", 1)[0] + "/" + databases[-1]
            nodes.append(await start(root, name, url, cache_entries if name == "Alpha" else None))
        a, b, c = nodes
        for left in nodes:
            for right in nodes:
                if left is not right:
                    await manage.peer_add(left.directory, right.url)
        for node, username in ((a, "sam"), (b, "bo"), (c, "cy")):
            await manage.add_user(node.directory, username, "carer", PASSWORD, None, hasher=HASHER)
        subnet_uri = await manage.subnet_create(a.directory, "carers", "Carers")
        for partner in (b, c):
            await share(a, partner, subnet_uri)
        await manage.subnet_add(a.directory, "carers", "sam")
        for node, username in ((b, "bo"), (c, "cy")):
            await manage.subnet_add(node.directory, subnet_uri, username)
        if not search_only:
            await page_weight(a, subnet_uri)
        await search_speed(nodes, subnet_uri, posts, rounds, profile)
        await memory_while_reading(nodes, subnet_uri)
        await readers_speed(nodes, subnet_uri, readers, 10)  # last: A leaves this process
    finally:
        for node in nodes:
            if node.runner.server is not None:  # A, served apart, is stopped already
                await node.runner.cleanup()
        for database in databases:
            await _server(postgres or "", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts per node for search")
    parser.add_argument("--rounds", type=int, default=120, help="searches to time")
    parser.add_argument("--search-only", action="store_true", help="skip the page weight")
    parser.add_argument("--profile", help="save a cProfile of the timed searches to this file")
    parser.add_argument("--postgres", help="a PostgreSQL server URL to run the nodes on")
    parser.add_argument("--readers", type=int, default=64, help="concurrent subnet-page readers")
    parser.add_argument(
        "--cache-entries", type=int, default=2_000, help="node A's cap on cached remote posts"
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(
            arguments.posts,
            arguments.rounds,
            arguments.search_only,
            arguments.profile,
            arguments.postgres,
            arguments.readers,
            arguments.cache_entries,
        )
    )
