"""`sharon demo`: three trusts on 127.0.0.1, one subnet shared between two of them.

Berkshire Healthcare hosts "Carers across the Thames Valley", shared with Oxford Health and not
with Bucks, and a local-only eating-disorders subnet whose weights, calories and other such
numbers are masked for readers. Everything lives in a temporary directory that is removed on
Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from actors.retention import PolicyChange
from node import manage
from node.app import create_app

PASSWORD = "demo-password-2026"  # noqa: S105 — printed for the demo on purpose
# Staff sign in with TOTP too; every demo staff account shares this secret (printed).
TOTP_SECRET = "SHARONDEMOSTAFFTOTPSECRET234567A"  # noqa: S105
TRUSTS = ("Berkshire Healthcare", "Oxford Health", "Bucks")


@dataclass
class RunningNode:
    name: str
    url: str
    directory: Path
    runner: web.AppRunner


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError("no free port on 127.0.0.1")


async def start_node(directory: Path, name: str, port: int) -> RunningNode:
    settings = await asyncio.to_thread(
        manage.init_node, directory, url=f"http://127.0.0.1:{port}", name=name
    )
    runner = web.AppRunner(await create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return RunningNode(name, settings.url, directory, runner)


PEOPLE = {
    0: [
        ("admin-berks", "admin"),
        ("dr-ahmed", "clinician"),
        ("river", "patient"),
        ("sam", "carer"),
    ],
    1: [("admin-oxford", "admin"), ("nurse-kim", "clinician"), ("alex", "carer")],
    2: [("admin-bucks", "admin"), ("jo", "patient")],
}


async def _accept_when_offered(directory: Path, subnet_uri: str, within: float = 10.0) -> None:
    """The partner's admin accepts the invitation once it has arrived (the demo's servers run)."""
    for _ in range(int(within / 0.1)):
        if any(offer.subnet_uri == subnet_uri for offer, _ in await manage.share_list(directory)):
            await manage.share_answer(directory, subnet_uri, accept=True)
            break
        await asyncio.sleep(0.1)
    else:
        raise manage.ManageError("the share invitation did not arrive")
    for _ in range(int(within / 0.1)):  # until the home has recorded the acceptance
        if await manage.is_partner_of(directory, subnet_uri):
            return
        await asyncio.sleep(0.1)
    raise manage.ManageError("the acceptance was not recorded by the subnet's home")


async def build(root: Path, base_port: int) -> list[RunningNode]:
    nodes = []
    for index, name in enumerate(TRUSTS):
        port = free_port(base_port + index)
        nodes.append(await start_node(root / f"node-{index + 1}", name, port))
    a, b, c = nodes
    for left, right in ((a, b), (a, c), (b, c)):
        await manage.peer_add(left.directory, right.url)
        await manage.peer_add(right.directory, left.url)
    for index, node in enumerate(nodes):
        for username, role in PEOPLE[index]:
            secret = TOTP_SECRET if role in ("admin", "clinician") else None
            await manage.add_user(node.directory, username, role, PASSWORD, totp_secret=secret)
    carers = await manage.subnet_create(a.directory, "carers", "Carers across the Thames Valley")
    await manage.subnet_create(a.directory, "eating-disorders", "Eating disorders peer support")
    await manage.subnet_policy(a.directory, "eating-disorders", PolicyChange(numbers="masked"))
    await manage.subnet_share(a.directory, "carers", b.url)
    await _accept_when_offered(b.directory, carers)
    for username in ("dr-ahmed", "river", "sam"):
        await manage.subnet_add(a.directory, "carers", username)
    for username in ("dr-ahmed", "river"):
        await manage.subnet_add(a.directory, "eating-disorders", username)
    await manage.subnet_create(c.directory, "first-step", "First Step: waiting for CAMHS")
    await manage.subnet_add(c.directory, "first-step", "jo")
    for username in ("nurse-kim", "alex"):
        await manage.subnet_add(b.directory, carers, username)
    for username in ("river", "sam"):
        await manage.care_team_add(a.directory, username, "dr-ahmed")
    await manage.care_team_add(b.directory, "alex", "nurse-kim")
    return nodes


def describe(nodes: list[RunningNode]) -> str:
    lines = ["", "SHaRON demo: three trusts on 127.0.0.1", ""]
    for index, node in enumerate(nodes):
        people = ", ".join(f"{username} ({role})" for username, role in PEOPLE[index])
        lines += [f"  {node.name:<22} {node.url}", f"    sign in as: {people}"]
    lines += [
        "",
        f"  Every password is: {PASSWORD}",
        "  Staff (admin, clinician) also give a code from an authenticator app with the key",
        f"  {TOTP_SECRET}; or print a code with: .venv/bin/python -c "
        f"\"import pyotp; print(pyotp.TOTP('{TOTP_SECRET}').now())\"",
        "  'Carers across the Thames Valley' is hosted by Berkshire Healthcare and shared with",
        "  Oxford Health only. Post as sam on Berkshire, read it as alex on Oxford Health.",
        "  Messages: river and sam write to their care team (dr-ahmed) on Berkshire, alex to",
        "  nurse-kim on Oxford Health; messages never leave their trust.",
        "",
        "Press Ctrl-C to stop (the demo's data is deleted).",
    ]
    return "\n".join(lines)


async def run(base_port: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sharon-demo-") as root:
        nodes = await build(Path(root), base_port)
        print(describe(nodes), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            for node in nodes:
                await node.runner.cleanup()


def main(base_port: int = 8701) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(base_port))
