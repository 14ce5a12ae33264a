"""A hostile face for a real node: the node keeps its URL, but every request to it passes
through a proxy on that URL's port that can replace, slow or dribble any answer.

The node underneath is a real node (real database, real signatures); only what it answers on
chosen paths is changed, as a misbehaving or compromised peer would. Nothing is mocked: the
proxy is a real HTTP server on loopback and forwards real requests byte for byte.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from conftest import TestNode, free_port
from multidict import CIMultiDict
from yarl import URL

HOP = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}
Rule = Callable[[web.Request, int, bytes], Awaitable[web.StreamResponse]]


async def dribble(
    request: web.Request,
    body: bytes,
    *,
    chunk: int = 1000,
    pause: float = 0.001,
    status: int = 200,
    content_type: str = "application/activity+json",
) -> web.StreamResponse:
    """Answer `body` in many small chunks with pauses between them (chunked encoding)."""
    response = web.StreamResponse(status=status, headers={"Content-Type": content_type})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for start in range(0, len(body), chunk):
        await response.write(body[start : start + chunk])
        await asyncio.sleep(pause)
    await response.write_eof()
    return response


@dataclass
class Face:
    node: TestNode
    inner_port: int
    http: aiohttp.ClientSession
    runner: web.AppRunner | None = None
    rules: dict[str, Rule] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        headers["Host"] = request.headers.get("Host", "")
        async with self.http.request(
            request.method,
            URL(f"http://127.0.0.1:{self.inner_port}{request.raw_path}", encoded=True),
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as answer:
            status, payload = answer.status, await answer.read()
            kept = CIMultiDict(
                (k, v)
                for k, v in answer.headers.items()
                if k.lower() not in (*HOP, "content-encoding", "date", "server")
            )
        rule = self.rules.get(request.path)
        if rule is not None:
            self.hits[request.path] = self.hits.get(request.path, 0) + 1
            return await rule(request, status, payload)
        return web.Response(status=status, body=payload, headers=kept)


FaceFactory = Callable[[TestNode], Awaitable[Face]]


@asynccontextmanager
async def faces() -> AsyncIterator[FaceFactory]:
    """Put real nodes behind faces on their own URLs (each node's site moves to another port);
    a test module makes this its `face` fixture."""
    faces: list[Face] = []

    async def make(node: TestNode) -> Face:
        port = node.settings.bind[1]
        for site in list(node.runner.sites):
            await site.stop()
        server = node.runner.server
        for kept_alive in list(server.connections if server is not None else ()):
            kept_alive.force_close()  # else a peer's pooled connection bypasses the face
        inner = free_port()
        await web.TCPSite(node.runner, "127.0.0.1", inner).start()
        made = Face(node, inner, aiohttp.ClientSession(auto_decompress=True))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", made.handle)
        made.runner = web.AppRunner(app, access_log=None)
        await made.runner.setup()
        await web.TCPSite(made.runner, "127.0.0.1", port).start()
        faces.append(made)
        return made

    yield make
    for made in faces:
        if made.runner is not None:
            await made.runner.cleanup()
        await made.http.close()
