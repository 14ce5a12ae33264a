"""Fixtures: real nodes on 127.0.0.1 ports, each with its own database (SQLite by default, a
fresh PostgreSQL database per node when SHARON_TEST_DATABASE_URL is set), and a browser-like
HTTP client that signs in through the web UI.

Each node's database starts as a copy of one migrated once per test process (`SchemaTemplate`):
running every migration from empty costs about 2 s a node, most of the suite's time; a copy
costs milliseconds, and `sharon init` then finds the schema at head. `test_migrations.py` still
migrates from empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import asyncpg
import pyotp
import pytest
from aiohttp import web
from argon2 import PasswordHasher
from planted_logs import _suite_log, no_planted_detail_in_logs, plant, plant_form  # noqa: F401
from sqlalchemy import select

from actors.clock import Clock, utcnow
from actors.retention import PolicyChange
from actors.screening import Screener
from actors.screening.default import load_screener
from federation.client import SignedClient
from federation.keys import NodeKeys
from federation.workers import Faults, no_faults
from node import manage
from node.app import create_app
from node.logs import runner_logging
from node.settings import Settings
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import Base, Membership, Person, Post, RemoteActor

PG_URL = os.environ.get("SHARON_TEST_DATABASE_URL")
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "a-long-enough-password"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
VECTORS = Path(
    os.environ.get("SHARON_VECTORS_DIR", Path(__file__).resolve().parents[2] / "shared" / "vectors")
)


async def totp_codes(clock: Clock = utcnow) -> AsyncIterator[str]:
    """Authenticator codes to try in turn for a staff sign-in, by the node's `clock` (a node
    whose clock a test holds still checks codes against that time, not the wall clock): this
    step's, the next step's (a node accepts one step ahead, and never a step at or before the
    last one used), then, as one person may sign in more often than twice in 30 s, the next
    step's again after each step boundary."""
    yield pyotp.TOTP(TOTP_SECRET).at(clock().timestamp())
    yield pyotp.TOTP(TOTP_SECRET).at(clock().timestamp() + 30)
    for _ in range(2):
        await asyncio.sleep(30 - clock().timestamp() % 30 + 0.2)
        yield pyotp.TOTP(TOTP_SECRET).at(clock().timestamp() + 30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Sent:
    """One request a node's own HTTP client sent: where to, and every byte of its body."""

    method: str
    url: str
    headers: str
    body: bytes


def capture_into(sent: list[Sent]) -> aiohttp.TraceConfig:
    """An aiohttp trace config that records every outbound request of a node (no mocking:
    the request still goes over the network as usual)."""
    trace = aiohttp.TraceConfig()
    bodies: dict[int, list[bytes]] = {}

    async def on_start(_session: Any, context: Any, params: Any) -> None:
        bodies[id(context)] = []

    async def on_chunk(_session: Any, context: Any, params: Any) -> None:
        bodies.setdefault(id(context), []).append(bytes(params.chunk))

    async def on_end(_session: Any, context: Any, params: Any) -> None:
        body = b"".join(bodies.pop(id(context), []))
        sent.append(Sent(params.method, str(params.url), repr(dict(params.headers)), body))

    trace.on_request_start.append(on_start)
    trace.on_request_chunk_sent.append(on_chunk)
    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_end)
    return trace


@dataclass
class TestNode:
    __test__ = False
    name: str
    directory: Path
    settings: Settings
    runner: web.AppRunner
    db: Database
    sent: list[Sent]
    clock: Clock = utcnow

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def sqlite_path(self) -> Path:
        """The node's SQLite database file (the tests on SQLite only)."""
        return Path(self.settings.database_url.removeprefix("sqlite:///"))

    @property
    def sqlite_files(self) -> list[Path]:
        """The database file and its journal files."""
        return sorted(self.sqlite_path.parent.glob(f"{self.sqlite_path.name}*"))

    async def restart(self) -> None:
        """Stop serving and serve again from the same directory (keys and settings re-read)."""
        await self.runner.cleanup()
        app = await create_app(self.settings, hasher=FAST_HASHER)
        self.runner = web.AppRunner(app, **runner_logging(self.settings.request_logging))
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.settings.bind[1]).start()

    async def add_user(self, username: str, role: str, pseudonym: str | None = None) -> str:
        """Staff are enrolled in TOTP with `TOTP_SECRET`, as if they had set up an app."""
        plant("pseudonym", pseudonym or "")
        return await manage.add_user(
            self.directory,
            username,
            role,
            PASSWORD,
            pseudonym,
            hasher=FAST_HASHER,
            totp_secret=TOTP_SECRET if role in ("admin", "clinician", "analyst") else None,
        )

    async def all_rows_text(self, skip: tuple[str, ...] = ()) -> str:
        """Every row of every table (bar `skip`), as text: for proving what a node does (not)
        hold."""
        chunks = []
        async with self.db.transaction() as s:
            for table in Base.metadata.sorted_tables:
                if table.name in skip:
                    continue
                for row in (await s.execute(select(table))).all():
                    chunks.append(repr(tuple(row)))
        return "\n".join(chunks)

    async def count(self, model: Any) -> int:
        async with self.db.transaction() as s:
            return len((await s.execute(select(model))).all())

    async def person_uri(self, username: str) -> str:
        async with self.db.transaction() as s:
            person = (
                await s.execute(select(Person).where(Person.username == username))
            ).scalar_one()
        return f"{self.url}/people/{person.id}"

    async def member_uri(self, username: str, subnet_uri: str) -> str:
        """A local person's URI inside one subnet (the only URI of them other nodes see)."""
        return await manage.member_uri(self.directory, username, subnet_uri)

    async def post_uri(self, text: str) -> str:
        """The URI of the one post here with this text."""
        async with self.db.transaction() as s:
            (post,) = (await s.execute(select(Post).where(Post.content == text))).scalars()
        return f"{self.url}/posts/{post.id}"

    async def members_in(self, subnet_uri: str) -> int:
        """Active memberships of a subnet recorded here."""
        async with self.db.transaction() as s:
            rows = (await s.execute(select(Membership))).scalars().all()
        return len([r for r in rows if r.subnet_uri == subnet_uri and r.state == "active"])

    def signed_client(self, http: aiohttp.ClientSession) -> SignedClient:
        """Requests signed as this node, waiting as long as a loaded test machine may need."""
        return SignedClient(http, NodeKeys.load(self.directory), utcnow, timeout=60.0)


async def _database_url(directory: Path, created: list[str], template: str = "") -> str | None:
    """A new empty PostgreSQL database (a copy of `template` if named), or None on SQLite."""
    if not PG_URL:
        return None
    name = f"sharon_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(
            f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        )
    finally:
        await connection.close()
    created.append(name)
    return PG_URL.rsplit("/", 1)[0] + "/" + name


@dataclass(frozen=True)
class SchemaTemplate:
    """A database at the newest migration, made once per test process, to copy for each node."""

    sqlite_file: Path | None = None
    postgresql_name: str = ""

    async def copy(self, place: Path, created: list[str]) -> str:
        """The URL of a new database holding the migrated schema and nothing else; on SQLite
        its file is `place/sharon.sqlite3`."""
        if self.sqlite_file is None:
            url = await _database_url(place, created, self.postgresql_name)
            assert url is not None
            return url
        return f"sqlite:///{await asyncio.to_thread(_copy_sqlite, self.sqlite_file, place)}"


def _copy_sqlite(source: Path, place: Path) -> Path:
    """Copy with SQLite's backup API (a plain file copy could miss what is still in the WAL)."""
    place.mkdir(parents=True)
    target = place / "sharon.sqlite3"
    with contextlib.closing(sqlite3.connect(source)) as original:
        with contextlib.closing(sqlite3.connect(target)) as copy:
            original.backup(copy)
    return target


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemaTemplate]:
    if not PG_URL:
        file = tmp_path_factory.mktemp("schema") / "sharon.sqlite3"
        upgrade(f"sqlite:///{file}")
        yield SchemaTemplate(sqlite_file=file)
        return
    created: list[str] = []
    url = asyncio.run(_database_url(Path(), created))
    assert url is not None
    upgrade(url)
    yield SchemaTemplate(postgresql_name=created[0])
    asyncio.run(_drop_databases(created))


async def _drop_databases(names: list[str]) -> None:
    if not names:
        return
    connection = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for name in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


StartNode = Callable[..., Awaitable[TestNode]]


class MovableClock:
    """A node's clock that stands still until the test moves it (workers read it too)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(scope="session")
def node_screener() -> Screener:
    """The node's real screener (trained model, rules, number detector), loaded once for the
    whole run as `sharon serve` loads it once at start."""
    return load_screener()


@pytest.fixture
async def start_node(
    tmp_path: Path, node_screener: Screener, schema_template: SchemaTemplate
) -> AsyncIterator[StartNode]:
    """Start a real node (init, serve on a free loopback port); all stop at the end."""
    nodes: list[TestNode] = []
    databases: list[str] = []

    async def start(
        name: str,
        *,
        run_workers: bool = True,
        clock: Clock = utcnow,
        screener: Screener | None = None,
        faults: Faults = no_faults,
        **settings_changes: Any,
    ) -> TestNode:
        """`clock` is the node's own (a test moves it to make time pass for the workers);
        `screener` replaces the node's default crisis screening; `faults` makes one queue
        item's work raise (federation/workers.py)."""
        directory = tmp_path / f"node-{len(nodes) + 1}"
        database_url = await schema_template.copy(tmp_path / f"node-{len(nodes) + 1}-db", databases)
        port = free_port()
        settings = await asyncio.to_thread(
            manage.init_node,
            directory,
            url=f"http://127.0.0.1:{port}",
            name=name,
            database_url=database_url,
        )
        settings = replace(settings, **settings_changes)
        sent: list[Sent] = []
        app = await create_app(
            settings,
            hasher=FAST_HASHER,
            run_workers=run_workers,
            trace_configs=[capture_into(sent)],
            clock=clock,
            screener=screener or node_screener,
            faults=faults,
        )
        runner = web.AppRunner(app, **runner_logging(settings.request_logging))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        node = TestNode(
            name, directory, settings, runner, Database.connect(settings.database_url), sent, clock
        )
        nodes.append(node)
        return node

    yield start
    for node in nodes:  # bounded: a teardown that hangs would stall the whole run
        for step in (node.runner.cleanup(), node.db.close()):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(step, 30)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_drop_databases(databases), 30)


async def peer_all(*nodes: TestNode) -> None:
    for left in nodes:
        for right in nodes:
            if left is not right:
                await manage.peer_add(left.directory, right.url)


async def share(host: TestNode, slug: str, partner: TestNode) -> str:
    """The host's admin shares a subnet and the partner's admin accepts; returns once the
    partner holds the Group document that lists it as a partner."""
    subnet_uri = f"{host.url}/subnets/{slug}"
    await manage.subnet_share(host.directory, slug, partner.url)

    async def offered() -> bool:
        return any(
            o.subnet_uri == subnet_uri for o, _ in await manage.share_list(partner.directory)
        )

    await eventually(offered)
    await manage.share_answer(partner.directory, subnet_uri, accept=True)

    async def listed() -> bool:
        async with partner.db.transaction() as s:
            group = await s.get(RemoteActor, subnet_uri)
        return group is not None and f"{partner.url}/actor" in group.partners

    await eventually(listed)
    return subnet_uri


def subnet_path(subnet_uri: str) -> str:
    return f"/subnet?id={quote(subnet_uri, safe='')}"


async def write(person: Browser, subnet_uri: str, text: str, in_reply_to: str = "") -> None:
    """Post (or reply) through the subnet page's form, as a person would."""
    fields = {"subnet": subnet_uri, "content": text, "in_reply_to": in_reply_to}
    status, html = await person.submit(subnet_path(subnet_uri), "/subnet/posts", fields)
    assert status == 200, html[:300]


async def act(person: Browser, subnet_uri: str, action: str, fields: dict[str, str]) -> int:
    """Submit one of the subnet page's other forms (like, edit, delete, leave)."""
    status, _ = await person.submit(
        subnet_path(subnet_uri), action, {"subnet": subnet_uri, **fields}
    )
    return status


async def shows(person: Browser, subnet_uri: str, text: str) -> bool:
    """Whether the person's subnet page shows `text` (fetched live where it lives elsewhere)."""
    status, html = await person.get(subnet_path(subnet_uri))
    return status == 200 and text in html


def moderate_path(subnet_uri: str) -> str:
    return f"/moderate?id={quote(subnet_uri, safe='')}"


async def moderate(person: Browser, subnet_uri: str, fields: dict[str, str]) -> tuple[int, str]:
    """Submit the subnet's members page form (add, remove, approve, grant, release…)."""
    return await person.submit(
        moderate_path(subnet_uri), "/moderate", {"subnet": subnet_uri, **fields}
    )


async def signed_get(reader: TestNode, url: str) -> tuple[int, bytes]:
    """A GET signed by `reader`'s instance actor, as its resolver sends them."""
    async with aiohttp.ClientSession() as http:
        response = await reader.signed_client(http).request(
            "GET", url, None, signer=f"{reader.url}/actor", scheme="rfc9421"
        )
    return response.status, response.body


class Browser:
    """A person's browser: a cookie jar and forms with their CSRF tokens."""

    def __init__(self, http: aiohttp.ClientSession, base: str, clock: Clock = utcnow) -> None:
        self.http = http
        self.base = base
        self.clock = clock

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path, allow_redirects=True) as response:
            return response.status, await response.text()

    async def submit(self, page_path: str, action: str, fields: dict[str, str]) -> tuple[int, str]:
        return await self.submit_pairs(page_path, action, list(fields.items()))

    async def submit_pairs(
        self, page_path: str, action: str, fields: list[tuple[str, str]]
    ) -> tuple[int, str]:
        """Like `submit`, for forms with repeated names (checkboxes)."""
        plant_form(fields)
        _, html = await self.get(page_path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert token, f"no CSRF token on {page_path}"
        async with self.http.post(
            self.base + action, data=[("csrf_token", token.group(1)), *fields]
        ) as response:
            return response.status, await response.text()

    async def sign_in(self, username: str, password: str = PASSWORD) -> None:
        """Sign in; for staff, also give a TOTP code (the next step's if this one was used)."""
        status, html = await self.submit(
            "/sign-in", "/sign-in", {"username": username, "password": password}
        )
        async for code in totp_codes(self.clock):
            if "Enter your security code" not in html:
                break
            status, html = await self.submit(
                "/sign-in/two-factor", "/sign-in/two-factor", {"code": code, "next": "/"}
            )
        assert status == 200 and "My subnets" in html, html[:500]


BrowserFactory = Callable[[TestNode], Browser]


@pytest.fixture
async def browser() -> AsyncIterator[BrowserFactory]:
    sessions: list[aiohttp.ClientSession] = []

    def make(node: TestNode) -> Browser:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(http)
        return Browser(http, node.url, node.clock)

    yield make
    for http in sessions:
        await http.close()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> float:
    """Poll `check` until true; returns the seconds it took (fails the test after `within`)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        if await check():
            return loop.time() - start
        if loop.time() - start > within:
            pytest.fail(f"condition not met within {within} s")
        await asyncio.sleep(0.05)


@pytest.fixture
async def database(tmp_path: Path, schema_template: SchemaTemplate) -> AsyncIterator[Database]:
    """A migrated database of its own, for tests of `actors/` operations with their own clock."""
    created: list[str] = []
    db = Database.connect(await schema_template.copy(tmp_path / "database", created))
    yield db
    await db.close()
    await _drop_databases(created)


async def carers_pair(
    start_node: StartNode, browser: BrowserFactory, partner: str = "Partner Trust"
) -> tuple[TestNode, TestNode, str, Browser, Browser]:
    """A ("Host Trust") hosts Carers with sam in it, shared with `partner`, where alex is;
    both signed in, and alex's membership heard at A."""
    a = await start_node("Host Trust")
    b = await start_node(partner)
    await peer_all(a, b)
    await a.add_user("sam", "carer", "Sam")
    await b.add_user("alex", "carer", "Alex")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, subnet, "alex")
    sam, alex = browser(a), browser(b)
    await sam.sign_in("sam")
    await alex.sign_in("alex")
    await eventually(lambda: _members_are(a, subnet, 2))
    return a, b, subnet, sam, alex


async def host_and_partner(
    start_node: StartNode, browser: BrowserFactory, **policy: object
) -> tuple[TestNode, TestNode, str, dict[str, Browser]]:
    """A hosts carers (dr-ahmed moderates, sam is a member), shared with B (nurse-kim)."""
    a, b = await start_node("Host Trust"), await start_node("Partner Trust")
    await peer_all(a, b)
    for node, username, role in (
        (a, "dr-ahmed", "clinician"),
        (a, "sam", "carer"),
        (b, "nurse-kim", "clinician"),
        (b, "alex", "carer"),
    ):
        await node.add_user(username, role, username.title())
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await manage.subnet_policy(a.directory, "carers", PolicyChange(**policy))  # type: ignore[arg-type]
    await share(a, "carers", b)
    await manage.subnet_add(a.directory, "carers", "dr-ahmed")
    await manage.subnet_add(a.directory, "carers", "sam")
    await manage.subnet_add(b.directory, subnet, "nurse-kim")
    await eventually(lambda: _members_are(a, subnet, 3))
    people = {}
    for node, username in ((a, "dr-ahmed"), (a, "sam"), (b, "nurse-kim"), (b, "alex")):
        people[username] = browser(node)
        await people[username].sign_in(username)
    return a, b, subnet, people


async def _members_are(node: TestNode, subnet_uri: str, n: int) -> bool:
    return await node.members_in(subnet_uri) == n
