"""Federation throughput on this machine: signing, inbound inbox, outbound delivery.

Run from the project root: ``.venv/bin/python bench/federation.py`` (a few minutes, most of it
waiting for node A to drain its inbox) or with ``--quick`` (smaller counts, under a minute).
It prints figures and asserts nothing (design.md, "Speed, by design"; tests never make timed
assertions). Everything stays on 127.0.0.1, every loop is bounded in count and time, and every
process it starts is stopped at the end.

What it measures, and how:

1. **Raw signing** in this process with ``cryptography``: RSA-2048 PKCS#1 v1.5 / SHA-256 and
   Ed25519 signatures per second over a fixed time (RSA also with one thread per core, since
   ``cryptography`` releases the GIL while signing), and verifications per second of each.
2. **aiohttp hello world**: a trivial aiohttp app in its own process, loaded from another
   process through C concurrent keep-alive connections for a few seconds; requests/s. This is
   the ceiling for any one-process aiohttp service driven by one Python client on this machine.
3. **Inbound**: two real nodes, A (target) and B (sender), made with ``manage.init_node`` and
   each run as ``sharon serve DIR`` in its own process, peered both ways. A hosts a subnet
   shared with B; a user on B joins it. A load-generator process pre-signs K distinct
   ``Create`` (by reference) activities from B's user with B's keys (RFC 9421/Ed25519, then a
   smaller batch in draft-cavage/RSA), warms up (A fetches B's actor once), then POSTs them to
   A's ``/inbox`` with C in flight: *accepted* = 202s per second of the load. A's database is
   then read (read-only) until every item is processed: *processed* = items / (last processed
   − first received), from A's own timestamps. A's process CPU time per accepted request comes
   from /proc. Each accepted Create also makes A announce the post back to B (the real
   Deliverer, working alongside); each scheme gets a fresh pair of nodes. The wait for A to
   drain is bounded: if it runs out, processed/s is computed from the items finished so far.
   A's worker process's CPU time per accepted activity (processing it, planning and sending
   its Announce) runs from the start of the load until every Announce is sent.
   The RFC 9421 phase then runs again on a fresh pair whose node A has ``metrics = false`` and
   ``request_logging = false``: the two accepted rates and their ratio are what metrics and
   request logging cost (README "Operating a node").
4. **Outbound**: N sink inboxes (aiohttp apps in one separate process answering 202 without
   verifying) receive M activities from ``SignedClient.post`` in this process with C in flight,
   in draft-cavage (RSA) and in RFC 9421 (Ed25519); deliveries/s. Then the same through the
   real ``Deliverer`` (delivery rows in a fresh node's SQLite database, ``send_due`` until the
   queue is empty, per-peer limit as in production).

``--profile-node FILE`` runs the RFC 9421 phase's node A under cProfile, switched on for the load
and the drain only (SIGUSR1/SIGUSR2 to a small wrapper around ``sharon serve``), and prints where
its main thread spent the time; the figures of that phase then run slower.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/federation.py`, Python puts bench/ first on sys.path, where this file
# would shadow the project's `federation` package. Take it off before importing the project.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import contextlib
import cProfile
import http.client
import json
import multiprocessing
import multiprocessing.connection
import os
import pstats
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from argon2 import PasswordHasher
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from actors.clock import utcnow
from actors.ids import LocalIds
from federation.client import SignedClient
from federation.delivery import Deliverer
from federation.jsonld import CANONICAL_CONTEXT
from federation.keys import NodeKeys
from federation.signatures import sign_request
from node import cli, manage
from node.settings import Settings
from storage.engine import Database
from storage.models import Delivery, Event, InboxItem, Peer, new_id

SPAWN = multiprocessing.get_context("spawn")
TERMINAL = ("done", "rejected", "failed")
PASSWORD = "a-long-enough-password"  # noqa: S105 — a throwaway user in a temp directory
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
ACTIVITY_JSON = "application/activity+json"


@dataclass(frozen=True)
class Plan:
    sign_seconds: float
    hello_seconds: float
    concurrency: int
    inbound_9421: int
    inbound_cavage: int
    warmup: int
    sinks: int
    outbound_9421: int
    outbound_cavage: int
    deliverer_each: int
    load_timeout: float
    drain_timeout: float


FULL = Plan(2.0, 5.0, 64, 10_000, 3_000, 50, 4, 10_000, 5_000, 5_000, 120.0, 90.0)
QUICK = Plan(0.75, 2.0, 64, 1_500, 400, 20, 4, 2_000, 1_000, 800, 60.0, 3.0)


@dataclass
class Figures:
    """Summary lines in print order: (label, value, unit, note)."""

    rows: list[tuple[str, float | None, str, str]] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)

    def add(self, key: str, label: str, value: float | None, unit: str, note: str = "") -> None:
        self.rows.append((label, value, unit, note))
        if value is not None:
            self.values[key] = value

    def table(self) -> str:
        lines = []
        width = max((len(label) for label, *_ in self.rows), default=0) + 2
        for label, value, unit, note in self.rows:
            decimals = 2 if unit in ("×", "s", "ms") else 0
            shown = "—" if value is None else f"{value:,.{decimals}f}"
            lines.append(f"{label:<{width}}{shown:>7} {unit:<6}{note}".rstrip())
        return "\n".join(lines)


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(port: int, path: str, deadline: float, alive: Callable[[], bool]) -> None:
    """Wait until GET path on 127.0.0.1:port answers 200 (or the deadline/process dies)."""
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the server on port {port} exited during start-up")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not answer {path} in time")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time so far of a process and its live descendants (Linux /proc:
    `sharon serve` forks its web and worker processes), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        total += cpu_seconds(int(child)) or 0.0
    return total


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- 1. raw signing ---------------------------------------------------------------------------


def sign_rate(sign: Callable[[], object], seconds: float, limit: int = 10_000_000) -> float:
    done, start = 0, time.perf_counter()
    deadline = start + seconds
    while done < limit:
        for _ in range(16):
            sign()
        done += 16
        if time.perf_counter() >= deadline:
            break
    return done / (time.perf_counter() - start)


def raw_signing(plan: Plan, figures: Figures) -> None:
    say("1. raw signing and verifying in this process (cryptography)")
    message = b"(request-target): post /inbox\nhost: 127.0.0.1:8000\ndate: x\ndigest: " + b"y" * 56
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    rsa_public, ed_public = rsa_key.public_key(), ed_key.public_key()
    rsa_signature, ed_signature = rsa_key.sign(message, pkcs1, sha256), ed_key.sign(message)

    def rsa_sign() -> bytes:
        return rsa_key.sign(message, pkcs1, sha256)

    def ed_sign() -> bytes:
        return ed_key.sign(message)

    def rsa_verify() -> None:
        rsa_public.verify(rsa_signature, message, pkcs1, sha256)

    def ed_verify() -> None:
        ed_public.verify(ed_signature, message)

    rsa_rate = sign_rate(rsa_sign, plan.sign_seconds)
    ed_rate = sign_rate(ed_sign, plan.sign_seconds)
    cores = os.cpu_count() or 1
    with ThreadPoolExecutor(cores) as pool:
        rates = pool.map(lambda _: sign_rate(rsa_sign, plan.sign_seconds), range(cores))
        rsa_threads = sum(rates)
    rsa_check = sign_rate(rsa_verify, plan.sign_seconds / 2)
    ed_check = sign_rate(ed_verify, plan.sign_seconds / 2)
    say(
        f"   sign: RSA-2048 {rsa_rate:,.0f}/s ({cores} threads {rsa_threads:,.0f}/s), "
        f"Ed25519 {ed_rate:,.0f}/s; verify: RSA-2048 {rsa_check:,.0f}/s, Ed25519 {ed_check:,.0f}/s"
    )
    figures.add("rsa", "raw RSA-2048 sign", rsa_rate, "/s")
    figures.add(
        "rsa_threads", f"raw RSA-2048 sign, {cores} threads", rsa_threads, "/s", "(GIL released)"
    )
    figures.add("ed", "raw Ed25519 sign", ed_rate, "/s", f"({ed_rate / rsa_rate:.0f}× RSA)")
    figures.add("rsa_verify", "raw RSA-2048 verify", rsa_check, "/s")
    figures.add("ed_verify", "raw Ed25519 verify", ed_check, "/s")


# --- load generation (runs in its own process) ------------------------------------------------

Request = tuple[str, str, dict[str, str], bytes | None]


async def drive(
    make: Callable[[int], Request], total: int, concurrency: int, seconds: float
) -> dict[str, Any]:
    """Send make(0..total-1) with `concurrency` in flight until all are sent or time is up."""
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    counter = iter(range(total))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    start = time.monotonic()
    deadline = start + seconds

    async def worker(http: aiohttp.ClientSession) -> None:
        for index in counter:
            if time.monotonic() >= deadline:
                return
            method, url, headers, body = make(index)
            sent = time.monotonic()
            try:
                async with http.request(method, url, headers=headers, data=body) as response:
                    await response.read()
                    status = str(response.status)
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                status = f"error:{type(error).__name__}"
            done = time.monotonic()
            statuses[status] += 1
            latencies.append(done - sent)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    elapsed = time.monotonic() - start
    return {
        "ended_at": time.time(),  # wall clock: the node's processes share it
        "statuses": dict(statuses),
        "ok": sum(n for s, n in statuses.items() if s.startswith("2")),
        "elapsed": elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def presign(job: dict[str, Any], count: int, tag: str) -> list[Request]:
    """`count` distinct Create activities from B's user, signed as B would sign them."""
    keys = NodeKeys.load(Path(job["b_dir"]))
    actor, inbox = job["actor"], job["inbox"]
    scheme = job["scheme"]
    key_id, key = (
        (f"{actor}#ed25519-key", keys.ed25519)
        if scheme == "rfc9421"
        else (f"{actor}#main-key", keys.rsa)
    )
    published = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    requests = []
    for _ in range(count):
        activity = {
            "@context": list(CANONICAL_CONTEXT),
            "id": f"{job['b_url']}/activities/{tag}-{uuid.uuid4().hex}",
            "type": "Create",
            "actor": actor,
            "object": f"{job['b_url']}/posts/{uuid.uuid4().hex}",
            "target": job["subnet"],
            "audience": job["subnet"],
            "to": [job["subnet"]],
            "published": published,
        }
        body = json.dumps(activity, separators=(",", ":")).encode()
        headers = {"Content-Type": ACTIVITY_JSON}
        headers.update(
            sign_request(
                "POST",
                inbox,
                headers,
                body,
                key_id=key_id,
                private_key=key,
                scheme=scheme,
                now=datetime.now(UTC),
                expires_in=timedelta(minutes=30) if scheme == "rfc9421" else None,
            )
        )
        requests.append(("POST", inbox, headers, body))
    return requests


async def run_job(job: dict[str, Any]) -> dict[str, Any]:
    if job["kind"] == "hello":
        url = job["url"]
        return await drive(
            lambda _: ("GET", url, {}, None), 10_000_000, job["concurrency"], job["seconds"]
        )
    started = time.perf_counter()
    warm = presign(job, job["warmup"], f"warm{job['tag']}")
    load = presign(job, job["count"], job["tag"])
    presign_seconds = time.perf_counter() - started
    first = await drive(lambda i: warm[i], 1, 1, 30)  # A fetches B's actor document here
    rest = await drive(lambda i: warm[i + 1], len(warm) - 1, 8, 30)
    warm_statuses = Counter(first["statuses"]) + Counter(rest["statuses"])
    result = await drive(lambda i: load[i], len(load), job["concurrency"], job["seconds"])
    result["presign_seconds"] = presign_seconds
    result["warmup_statuses"] = dict(warm_statuses)
    return result


def load_process(conn: multiprocessing.connection.Connection, job: dict[str, Any]) -> None:
    try:
        result = asyncio.run(run_job(job))
    except Exception as error:
        result = {"error": f"{type(error).__name__}: {error}"}
    conn.send(result)
    conn.close()


# --- servers in their own processes -----------------------------------------------------------


def hello_process(port: int) -> None:
    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="Hello, world")

    app = web.Application()
    app.router.add_get("/", hello)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def sinks_process(ports: list[int]) -> None:
    async def sink(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    async def ready(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def serve() -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/inbox", sink)
        app.router.add_get("/", ready)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for port in ports:
            await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.sleep(3600)  # stopped by the bench long before

    asyncio.run(serve())


@dataclass
class Processes:
    """Everything started here, stopped in `close` (gracefully first, then killed)."""

    children: list[multiprocessing.process.BaseProcess] = field(default_factory=list)
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(self, target: Callable[..., None], *args: Any) -> multiprocessing.Process:
        process = SPAWN.Process(target=target, args=args, daemon=True)
        process.start()
        self.children.append(process)
        return process

    def stop_child(self, process: multiprocessing.process.BaseProcess) -> None:
        if process.is_alive():
            process.terminate()
            process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)

    def stop_node(self, node: subprocess.Popen[bytes]) -> None:
        if node.poll() is None:
            node.send_signal(signal.SIGINT)  # graceful: run_app stops workers, closes the database
            try:
                node.wait(15)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait(5)

    def close(self) -> None:
        for node in self.nodes:
            self.stop_node(node)
        for process in self.children:
            self.stop_child(process)


def run_load(procs: Processes, job: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one load job in a fresh process and return its figures."""
    receiver, sender = SPAWN.Pipe(duplex=False)
    process = procs.spawn(load_process, sender, job)
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise RuntimeError(f"load generator gave no result within {timeout:.0f} s")
        result: dict[str, Any] = receiver.recv()
    finally:
        receiver.close()
        procs.stop_child(process)
    if "error" in result:
        raise RuntimeError(f"load generator failed: {result['error']}")
    return result


# --- 2. hello world ---------------------------------------------------------------------------


def hello_world(plan: Plan, procs: Processes, figures: Figures) -> None:
    say(f"2. aiohttp hello world: server process ← {plan.concurrency} connections from another")
    port = free_port()
    server = procs.spawn(hello_process, port)
    try:
        wait_http(port, "/", time.monotonic() + 30, server.is_alive)
        job = {
            "kind": "hello",
            "url": f"http://127.0.0.1:{port}/",
            "concurrency": plan.concurrency,
            "seconds": plan.hello_seconds,
        }
        result = run_load(procs, job, plan.hello_seconds + 60)
    finally:
        procs.stop_child(server)
    rate = result["ok"] / result["elapsed"]
    say(
        f"   {result['ok']:,} requests in {result['elapsed']:.1f} s: {rate:,.0f}/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, {result['statuses']}"
    )
    figures.add("hello", "aiohttp hello world", rate, "req/s")


# --- 3. inbound -------------------------------------------------------------------------------


@dataclass
class ServedNode:
    directory: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.directory / "sharon.sqlite3"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


def sharon_command(directory: Path, profile: Path | None, *args: str) -> list[str]:
    if profile is not None:
        return [sys.executable, __file__, "--serve-profiled", str(directory), str(profile)]
    script = Path(sys.executable).parent / "sharon"
    if script.exists():
        return [str(script), "serve", str(directory), *args]
    return [sys.executable, "-m", "node.cli", "serve", str(directory), *args]


def launch_node(
    procs: Processes,
    root: Path,
    name: str,
    profile: Path | None,
    *args: str,
    database_url: str | None = None,
    config: str = "",
) -> ServedNode:
    """`sharon serve DIR ARGS` (a parent forking its web and worker processes); `config` is
    added to its `sharon.toml`."""
    directory, port = root / name.lower(), free_port()
    manage.init_node(
        directory, url=f"http://127.0.0.1:{port}", name=f"Bench {name}", database_url=database_url
    )
    with (directory / "sharon.toml").open("a") as toml:  # the load is one peer, on purpose
        toml.write("peer_requests_per_second = 1000000\npeer_request_burst = 1000000\n" + config)
    log = root / f"{name.lower()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            sharon_command(directory, profile, *args),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parents[1],
        )
    procs.nodes.append(process)
    return ServedNode(directory, port, process, log)


def start_nodes(
    procs: Processes, root: Path, profile_a: Path | None, a_config: str = ""
) -> tuple[ServedNode, ...]:
    """Nodes A and B, each `sharon serve` in its own process, answering once both are up."""
    nodes = (
        launch_node(procs, root, "A", profile_a, config=a_config),
        launch_node(procs, root, "B", None),
    )
    for node in nodes:
        try:
            wait_http(node.port, "/actor", time.monotonic() + 60, lambda n=node: n.alive)
        except RuntimeError:
            say(node.log.read_text(errors="replace")[-2000:])
            raise
    return nodes


def worker_pid(node: ServedNode) -> int | None:
    """The pid of a node's worker process, from `sharon serve`'s log (None when profiled)."""
    found = re.search(r"started worker process: pid=(\d+)", node.log.read_text(errors="replace"))
    return int(found.group(1)) if found else None


def read_only(database: Path) -> Engine:
    return create_engine(f"sqlite:///file:{database}?mode=ro&uri=true")


def inbox_states(engine: Engine, prefix: str | None = None) -> dict[str, int]:
    query = select(InboxItem.state, func.count()).group_by(InboxItem.state)
    if prefix is not None:
        query = query.where(InboxItem.activity_id.like(prefix + "%"))
    with engine.connect() as connection:
        return {state: n for state, n in connection.execute(query).all()}


def fanned_out(engine: Engine) -> bool:
    """No event is waiting to be planned and no delivery to be sent."""
    with engine.connect() as connection:
        return not any(
            connection.scalar(select(func.count()).where(model.state == "pending"))
            for model in (Event, Delivery)
        )


def delivery_states(engine: Engine) -> dict[str, int]:
    query = select(Delivery.state, func.count()).group_by(Delivery.state)
    with engine.connect() as connection:
        return {state: n for state, n in connection.execute(query).all()}


def wait_until(check: Callable[[], bool], timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


async def federate(a: ServedNode, b: ServedNode) -> tuple[str, str]:
    """Peer A and B, share a subnet of A with B and put a user of B in it."""
    await manage.peer_add(a.directory, b.url)
    await manage.peer_add(b.directory, a.url)
    subnet = await manage.subnet_create(a.directory, "bench", "Benchmark subnet")
    await manage.subnet_share(a.directory, "bench", b.url)
    await manage.add_user(b.directory, "bencher", "carer", PASSWORD, "Bencher", hasher=FAST_HASHER)
    for _ in range(300):  # B's admin accepts A's offer; A then lists B as a partner
        if any(o.subnet_uri == subnet for o, _ in await manage.share_list(b.directory)):
            await manage.share_answer(b.directory, subnet, accept=True)
            break
        await asyncio.sleep(0.1)
    for _ in range(300):
        if await manage.is_partner_of(b.directory, subnet):
            break
        await asyncio.sleep(0.1)
    await manage.subnet_add(b.directory, subnet, "bencher")
    return subnet, await manage.member_uri(b.directory, "bencher", subnet)


def join_done(engine: Engine) -> bool:
    with engine.connect() as connection:
        rows = connection.execute(select(InboxItem.activity, InboxItem.state)).all()
    states = {state for activity, state in rows if activity.get("type") == "Join"}
    if "rejected" in states or "failed" in states:
        raise RuntimeError("node A refused B's Join; see its log")
    return "done" in states


def processing_span(engine: Engine, prefix: str) -> tuple[int, float] | None:
    """Items finished and seconds from the first received to the last finished (A's clock)."""
    like = InboxItem.activity_id.like(prefix + "%")
    query = select(
        func.count(), func.min(InboxItem.received_at), func.max(InboxItem.next_attempt_at)
    ).where(like, InboxItem.state.in_(TERMINAL))
    with engine.connect() as connection:
        count, first, last = connection.execute(query).one()
    if not count or first is None or last is None:
        return None
    return int(count), (last - first).total_seconds()


QUIET = "metrics = false\nrequest_logging = false\n"


def inbound_phase(
    plan: Plan,
    procs: Processes,
    root: Path,
    scheme: str,
    figures: Figures,
    profile: Path | None,
    quiet: bool = False,
) -> None:
    """A fresh pair of nodes; K signed Creates from B's user to A's inbox; A drains them.
    `quiet`: node A runs with metrics and request logging off (figures keyed `…_quiet`)."""
    label = "9421" if scheme == "rfc9421" else "cavage"
    count = plan.inbound_9421 if scheme == "rfc9421" else plan.inbound_cavage
    key = label + ("_quiet" if quiet else "")
    shown = label + (", no metrics or request log" if quiet else "")
    phase = root / key
    phase.mkdir()
    a, b = start_nodes(procs, phase, profile, QUIET if quiet else "")
    a_db = read_only(a.database)
    say(
        f"   {shown}: A {a.url}, B {b.url}" + (f"; A under cProfile → {profile}" if profile else "")
    )
    try:
        subnet, actor = asyncio.run(federate(a, b))
        if not wait_until(lambda: join_done(a_db), 30):
            raise RuntimeError("B's Join did not reach A within 30 s")
        tag = f"{key}-{uuid.uuid4().hex[:8]}"
        prefix = f"{b.url}/activities/{tag}-"
        job = {
            "kind": "inbox",
            "scheme": scheme,
            "b_dir": str(b.directory),
            "b_url": b.url,
            "inbox": f"{a.url}/inbox",
            "actor": actor,
            "subnet": subnet,
            "count": count,
            "warmup": plan.warmup,
            "tag": tag,
            "concurrency": plan.concurrency,
            "seconds": plan.load_timeout,
        }
        say(f"   {shown}: pre-signing {count:,} Creates in the load generator, then POSTing")
        if profile is not None:
            a.process.send_signal(signal.SIGUSR1)
        worker = worker_pid(a)
        worker_before = cpu_seconds(worker) if worker is not None else None
        cpu_before = cpu_seconds(a.process.pid)
        b_before = cpu_seconds(b.process.pid)
        result = run_load(procs, job, plan.load_timeout + 120)
        cpu_after = cpu_seconds(a.process.pid)
        accepted = result["statuses"].get("202", 0)
        rate = accepted / result["elapsed"]
        say(
            f"   pre-signed in {result['presign_seconds']:.1f} s; "
            f"warm-up {result['warmup_statuses']}"
        )
        say(
            f"   {accepted:,} accepted of {sum(result['statuses'].values()):,} in "
            f"{result['elapsed']:.2f} s: {rate:,.0f}/s, p50 {result['p50_ms']:.1f} ms, "
            f"p99 {result['p99_ms']:.1f} ms; statuses {result['statuses']}"
        )
        if cpu_before is not None and cpu_after is not None and accepted:
            used = cpu_after - cpu_before
            say(
                f"   node A CPU during the load: {used / accepted * 1000:.2f} ms per accepted "
                f"request ({used / result['elapsed']:.0%} of a core, processing included)"
            )
        hello = figures.values.get("hello")
        note = f"({rate / hello:.2f}× hello world)" if hello else ""
        figures.add(f"in_{key}", f"inbound accepted ({shown})", rate, "/s", note)

        def drained() -> bool:
            return sum(inbox_states(a_db, prefix).get(s, 0) for s in TERMINAL) >= accepted

        finished = wait_until(drained, plan.drain_timeout, every=0.2)
        if profile is not None:
            a.process.send_signal(signal.SIGUSR2)
            wait_until(profile.exists, 10)
        states = inbox_states(a_db, prefix)
        span = processing_span(a_db, prefix)
        processed = span[0] / span[1] if span and span[1] > 0 else None
        say(
            f"   A's inbox_item states for this batch: {states}"
            + ("" if finished else f" (stopped waiting after {plan.drain_timeout:.0f} s)")
        )
        notes = []
        if span:
            say(f"   processed {span[0]:,} in {span[1]:.2f} s from first received to last finished")
            if span[0] < accepted:
                notes.append(f"(only {span[0]:,} of {accepted:,} done in time)")
        bad = states.get("rejected", 0) + states.get("failed", 0)
        if bad:
            notes.append(f"({bad:,} rejected/failed — a bug)")
        figures.add(f"proc_{key}", f"inbound processed ({shown})", processed, "/s", " ".join(notes))
        say(
            f"   meanwhile A fanned out Announces to B (real Deliverer, rfc9421); "
            f"A's delivery rows when processing ended: {delivery_states(a_db)}"
        )
        if wait_until(lambda: fanned_out(a_db), plan.drain_timeout, every=0.02):
            lag = time.time() - result["ended_at"]
            say(
                f"   every Announce to B sent {lag:.2f} s after the last activity was accepted "
                f"(A's delivery rows: {delivery_states(a_db)})"
            )
            figures.add(f"fanout_{key}", f"fan-out lag ({shown})", lag, "s")
            worker_after = cpu_seconds(worker) if worker is not None else None
            if worker_before is not None and worker_after is not None and accepted:
                per = (worker_after - worker_before) / accepted * 1000
                say(f"   A's worker process: {per:.2f} ms CPU per activity (processed, announced)")
                figures.add(f"worker_{key}", f"A's worker CPU per activity ({shown})", per, "ms")
            both_nodes(a, b, (cpu_before, b_before), accepted, key, shown, figures)
        else:
            say(f"   Announces still unsent after {plan.drain_timeout:.0f} s more")
    finally:
        a_db.dispose()
        for node in (a, b):
            procs.stop_node(node.process)
    lines = sum(1 for _ in a.log.open("rb"))
    say(
        f"   node A wrote {lines:,} log lines"
        + (" (no access log)" if quiet else " (an access-log line per request)")
    )


def both_nodes(
    a: ServedNode,
    b: ServedNode,
    before: tuple[float | None, float | None],
    accepted: int,
    key: str,
    shown: str,
    figures: Figures,
) -> None:
    """What one activity costs both nodes, every process of each (A's web and worker: accept,
    process, announce; B's: receive and process the Announce), from the start of the load to
    the last Announce sent; and the rate two such nodes could reach if they had this machine's
    cores to themselves (the load generator's share left out)."""
    (a_start, b_start), a_end, b_end = (
        before,
        cpu_seconds(a.process.pid),
        cpu_seconds(b.process.pid),
    )
    if a_start is None or b_start is None or a_end is None or b_end is None or not accepted:
        return
    a_ms, b_ms = (a_end - a_start) / accepted * 1000, (b_end - b_start) / accepted * 1000
    cores = os.cpu_count() or 1
    say(
        f"   CPU per activity, load start to last Announce sent: A {a_ms:.2f} ms, B {b_ms:.2f} ms; "
        f"on {cores} cores the two nodes alone could carry {cores * 1000 / (a_ms + b_ms):,.0f}/s"
    )
    figures.add(f"nodes_{key}", f"A + B CPU per activity ({shown})", a_ms + b_ms, "ms")


def inbound(
    plan: Plan, procs: Processes, root: Path, figures: Figures, profile: Path | None
) -> None:
    say("3. inbound: node A ← signed Creates from node B's user (each its own sharon process)")
    inbound_phase(plan, procs, root, "rfc9421", figures, profile)
    inbound_phase(plan, procs, root, "rfc9421", figures, None, quiet=True)
    with_them, without = figures.values.get("in_9421"), figures.values.get("in_9421_quiet")
    figures.add(
        "observing",
        "inbound (9421) with ÷ without metrics and logs",
        with_them / without if with_them and without else None,
        "×",
        "(below 1: what they cost; 1 ± noise: nothing measurable)",
    )
    inbound_phase(plan, procs, root, "cavage", figures, None)
    if profile is not None:
        show_profile(profile)


def serve_profiled(directory: Path, out: Path) -> int:
    """`sharon serve DIR`'s web process here, with cProfile on between SIGUSR1 and SIGUSR2
    (which writes `out`), and its worker process (`sharon work DIR`) beside it, unprofiled."""
    profiler = cProfile.Profile()
    worker = subprocess.Popen(
        [sys.executable, "-m", "node.cli", "work", str(directory)],
        cwd=Path(__file__).resolve().parents[1],
    )

    def start(*_: object) -> None:
        profiler.enable()

    def stop(*_: object) -> None:
        profiler.disable()
        profiler.dump_stats(out)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    try:
        return cli.main(["serve", str(directory), "--web-only"])
    finally:
        worker.terminate()
        worker.wait(30)


def _area(filename: str, function: str) -> str:
    """Group a profile entry by package (or by built-in for C functions)."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    project = Path(__file__).resolve().parents[1]
    if filename.startswith(str(project)):
        return "ours: " + Path(filename).relative_to(project).parts[0]
    if filename == "~":
        return "built-in " + function.split(" of ")[0].strip("<>").removeprefix("method ")[:48]
    if "python3" not in filename:
        return filename
    path = Path(filename)
    return "stdlib " + (path.parent.name if path.name == "__init__.py" else path.name)


def show_profile(path: Path) -> None:
    if not path.exists():
        say(f"   no profile written at {path}")
        return
    stats = pstats.Stats(str(path))
    areas: Counter[str] = Counter()
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        areas[_area(filename, function)] += own
    total = sum(areas.values()) or 1.0
    say(f"   cProfile of node A's main thread during load and drain ({path}): {total:.1f} s")
    say("   own time by area (epoll = idle; aiosqlite's worker threads are not included):")
    for area, own in areas.most_common(16):
        say(f"     {own:7.2f} s {own / total:6.1%}  {area}")
    say("   top functions by own time:")
    stats.sort_stats("tottime").print_stats(20)


# --- 4. outbound ------------------------------------------------------------------------------


def round_robin(items: list[str]) -> Iterator[str]:
    while True:
        yield from items


async def signed_client_rate(
    keys: NodeKeys, signer: str, inboxes: list[str], scheme: str, count: int, plan: Plan
) -> tuple[float, Counter[str]]:
    statuses: Counter[str] = Counter()
    targets = round_robin(inboxes)
    counter = iter(range(count))
    connector = aiohttp.TCPConnector(limit=plan.concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        client = SignedClient(http, keys, utcnow)
        deadline = time.monotonic() + plan.load_timeout

        async def worker() -> None:
            for _ in counter:
                if time.monotonic() >= deadline:
                    return
                activity = {
                    "@context": list(CANONICAL_CONTEXT),
                    "id": f"{signer}/activities/{new_id()}",
                    "type": "Announce",
                    "actor": signer,
                    "object": f"{signer}/posts/{new_id()}",
                }
                try:
                    response = await client.post(
                        next(targets), activity, signer=signer, scheme=scheme
                    )
                    statuses[str(response.status)] += 1
                except (aiohttp.ClientError, OSError, TimeoutError) as error:
                    statuses[f"error:{type(error).__name__}"] += 1

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(plan.concurrency)))
        elapsed = time.monotonic() - start
    ok = sum(n for s, n in statuses.items() if s.startswith("2"))
    return ok / elapsed, statuses


async def deliverer_rate(
    settings: Settings, sink_ports: list[int], scheme: str, count: int, plan: Plan
) -> tuple[float, dict[str, int]]:
    """Deliver `count` rows through the real Deliverer.send_due from a fresh node's database."""
    directory = settings.data_dir
    ids = LocalIds(settings.url)
    keys = NodeKeys.load(directory)
    db = Database.connect(settings.database_url)
    now = utcnow()
    schemes = ["rfc9421"] if scheme == "rfc9421" else []
    peers = [
        Peer(
            url=f"http://127.0.0.1:{p}",
            host=f"127.0.0.1:{p}",
            name=f"sink {p}",
            instance_actor=f"http://127.0.0.1:{p}/actor",
            shared_inbox=f"http://127.0.0.1:{p}/inbox",
            key_fingerprint="SHA256:bench",
            signature_schemes=schemes,
            added_at=now,
        )
        for p in sink_ports
    ]
    signer = ids.instance
    try:
        async with db.transaction() as s:
            s.add_all(peers)
            await s.flush()
            for index in range(count):
                peer = peers[index % len(peers)]
                s.add(
                    Delivery(
                        peer_id=peer.id,
                        inbox=peer.shared_inbox,
                        activity={
                            "@context": list(CANONICAL_CONTEXT),
                            "id": ids.activity(new_id()),
                            "type": "Announce",
                            "actor": signer,
                            "object": ids.post(new_id()),
                        },
                        signer=signer,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        connector = aiohttp.TCPConnector(limit=256)
        async with aiohttp.ClientSession(connector=connector) as http:
            client = SignedClient(http, keys, utcnow)
            deliverer = Deliverer(db, ids, keys, client, utcnow, asyncio.Event())
            start = time.monotonic()
            deadline = start + plan.load_timeout
            while time.monotonic() < deadline and await deliverer.send_due():
                pass
            elapsed = time.monotonic() - start
        async with db.transaction() as s:
            rows = (
                await s.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
            ).all()
        states = {state: n for state, n in rows}
    finally:
        await db.close()
    return states.get("done", 0) / elapsed, states


def outbound(plan: Plan, procs: Processes, root: Path, figures: Figures) -> None:
    say(
        f"4. outbound: this process → {plan.sinks} sink inboxes in another process (202, no checks)"
    )
    ports = [free_port() for _ in range(plan.sinks)]
    sinks = procs.spawn(sinks_process, ports)
    try:
        for port in ports:
            wait_http(port, "/", time.monotonic() + 30, sinks.is_alive)
        inboxes = [f"http://127.0.0.1:{p}/inbox" for p in ports]
        keys = NodeKeys.generate()
        signer = "http://127.0.0.1:9/actor"
        rsa_rate = figures.values.get("rsa")
        for scheme, count, label in (
            ("cavage", plan.outbound_cavage, "cavage-RSA"),
            ("rfc9421", plan.outbound_9421, "9421-Ed25519"),
        ):
            rate, statuses = asyncio.run(
                signed_client_rate(keys, signer, inboxes, scheme, count, plan)
            )
            say(f"   SignedClient {label}: {rate:,.0f}/s, statuses {dict(statuses)}")
            note = f"({rate / rsa_rate:.0%} of raw RSA)" if scheme == "cavage" and rsa_rate else ""
            figures.add(f"out_{scheme}", f"outbound {label} (SignedClient)", rate, "/s", note)
        for scheme, label in (("cavage", "cavage-RSA"), ("rfc9421", "9421-Ed25519")):
            settings = manage.init_node(
                root / f"deliverer-{scheme}", url=f"http://127.0.0.1:{free_port()}", name="Bench"
            )
            rate, states = asyncio.run(
                deliverer_rate(settings, ports, scheme, plan.deliverer_each, plan)
            )
            say(f"   Deliverer {label}: {rate:,.0f}/s, delivery states {states}")
            note = f"({rate / rsa_rate:.0%} of raw RSA)" if scheme == "cavage" and rsa_rate else ""
            figures.add(f"dlv_{scheme}", f"outbound {label} (Deliverer)", rate, "/s", note)
    finally:
        procs.stop_child(sinks)


# --- PostgreSQL, 1 → 2 web processes ------------------------------------------------------------


async def fresh_database(admin_url: str) -> str:
    """A new, empty PostgreSQL database beside `admin_url`'s; its URL."""
    name = f"sharon_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def drop_database(admin_url: str, url: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await connection.close()


async def pg_join_done(url: str) -> bool:
    db = Database.connect(url)
    try:
        async with db.transaction() as s:
            rows = (await s.execute(select(InboxItem.activity, InboxItem.state))).all()
    finally:
        await db.close()
    return any(a.get("type") == "Join" and state == "done" for a, state in rows)


def scale_out(plan: Plan, procs: Processes, root: Path, figures: Figures, admin_url: str) -> None:
    """Node A on PostgreSQL as `sharon serve --processes N` (N web processes on one port, one
    worker process), N = 1 then 2, each with a fresh database and a fresh sender B; the same
    signed RFC 9421 load; accepted/s of each, and their ratio."""
    say("5. PostgreSQL: node A with 1, then 2 web processes (and its worker process)")
    rates: dict[int, float] = {}
    for processes in (1, 2):
        phase = root / f"pg-{processes}"
        phase.mkdir()
        url = asyncio.run(fresh_database(admin_url))
        a = launch_node(procs, phase, "A", None, "--processes", str(processes), database_url=url)
        b = launch_node(procs, phase, "B", None)
        try:
            for node in (a, b):
                wait_http(node.port, "/actor", time.monotonic() + 60, lambda n=node: n.alive)
            subnet, actor = asyncio.run(federate(a, b))
            if not wait_until(lambda u=url: asyncio.run(pg_join_done(u)), 30, every=0.5):
                raise RuntimeError("B's Join did not reach A within 30 s")
            job = {
                "kind": "inbox",
                "scheme": "rfc9421",
                "b_dir": str(b.directory),
                "b_url": b.url,
                "inbox": f"{a.url}/inbox",
                "actor": actor,
                "subnet": subnet,
                "count": plan.inbound_9421,
                "warmup": plan.warmup,
                "tag": f"pg{processes}-{uuid.uuid4().hex[:8]}",
                "concurrency": plan.concurrency,
                "seconds": plan.load_timeout,
            }
            result = run_load(procs, job, plan.load_timeout + 120)
            accepted = result["statuses"].get("202", 0)
            rates[processes] = accepted / result["elapsed"]
            say(
                f"   {processes} web process(es): {accepted:,} accepted in "
                f"{result['elapsed']:.2f} s: {rates[processes]:,.0f}/s, "
                f"p99 {result['p99_ms']:.1f} ms; statuses {result['statuses']}"
            )
            figures.add(
                f"pg_{processes}",
                f"inbound accepted, PostgreSQL, {processes} web process(es)",
                rates[processes],
                "/s",
            )
        finally:
            for node in (a, b):
                procs.stop_node(node.process)
            asyncio.run(drop_database(admin_url, url))
    if rates.get(1):
        figures.add("pg_scale", "PostgreSQL 1 → 2 web processes", rates[2] / rates[1], "×")


# --- main -------------------------------------------------------------------------------------

TARGETS = (
    ("in_9421", "inbound accepted (9421) ≥ 3,000/s", lambda v, f: v >= 3000),
    (
        "in_9421",
        "inbound accepted (9421) ≥ 0.2× hello world",
        lambda v, f: "hello" in f and v >= 0.2 * f["hello"],
    ),
    ("proc_9421", "inbound processed (9421) ≥ 2,000/s", lambda v, f: v >= 2000),
    (
        "out_cavage",
        "outbound cavage (SignedClient) ≥ 80% of raw RSA",
        lambda v, f: "rsa" in f and v >= 0.8 * f["rsa"],
    ),
    ("out_rfc9421", "outbound Ed25519 (SignedClient) ≥ 3,000/s", lambda v, f: v >= 3000),
    ("fanout_9421", "fan-out: last Announce sent ≤ 1 s after last accepted", lambda v, f: v <= 1),
    ("pg_scale", "PostgreSQL, 1 → 2 web processes: accepted ×1.6 or better", lambda v, f: v >= 1.6),
)


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    top.add_argument("--quick", action="store_true", help="smaller counts, about 30 s")
    top.add_argument(
        "--profile-node", type=Path, metavar="FILE", help="profile node A's inbound work into FILE"
    )
    top.add_argument(
        "--postgresql",
        metavar="URL",
        help="also run node A on PostgreSQL with 1, then 2 web processes (URL: a database "
        "whose server may create and drop databases, e.g. postgresql://postgres@127.0.0.1/test)",
    )
    top.add_argument("--serve-profiled", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = top.parse_args(argv)
    if args.serve_profiled:
        return serve_profiled(*args.serve_profiled)
    plan = QUICK if args.quick else FULL
    say(
        f"SHaRON federation bench ({'quick' if args.quick else 'full'}) on {os.cpu_count()} "
        f"cores, Python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}"
    )
    load = os.getloadavg()[0]
    say(
        f"   load average {load:.1f} before starting"
        + ("; other work will skew the figures" if load > 0.5 else "")
    )
    figures = Figures()
    procs = Processes()
    root = Path(tempfile.mkdtemp(prefix="sharon-bench-"))
    profile = args.profile_node.resolve() if args.profile_node else None
    started = time.monotonic()
    try:
        raw_signing(plan, figures)
        hello_world(plan, procs, figures)
        inbound(plan, procs, root, figures, profile)
        outbound(plan, procs, root, figures)
        if args.postgresql:
            scale_out(plan, procs, root, figures, args.postgresql)
    finally:
        procs.close()
        shutil.rmtree(root, ignore_errors=True)
    say(
        f"\nSummary ({time.monotonic() - started:.0f} s, load average now "
        f"{os.getloadavg()[0]:.1f}{'; node A profiled' if profile else ''})"
    )
    say(figures.table())
    say("\nTargets")
    for key, text, met in TARGETS:
        value = figures.values.get(key)
        verdict = (
            "not measured" if value is None else ("met" if met(value, figures.values) else "MISSED")
        )
        say(f"  {verdict:<13}{text}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
