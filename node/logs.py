"""Logs for the people who run a node: one JSON object per line, and an access log without
query strings.

Each line has `time`, `level`, `event` (the message), `logger`, and — while a request is being
answered — `request_id` (random, also sent back as `X-Request-Id` so a report can be matched to
its lines) and `peer` (the host of the key a signed request names, as the request claims it).
Messages themselves never carry a person's details, a post's text, a password or a token: the
code logs counts, hosts, statuses and error class names only.

`request_logging = false` in the settings leaves out both the request ids and the access log
(`runner_logging`), for a node that must spend nothing on them. In `sharon serve` and
`sharon work` the lines are formatted and written on a thread of their own (`off_the_loop`):
the event loop only queues each record, so neither JSON formatting nor a slow stderr pipe
holds up a request.

The access log gives method, route path, status, size and time — never the query string:
invitation and password-reset links carry their secret in `?token=`, and the default aiohttp
access log writes the whole request line; nor are client addresses or user agents written.
"""

from __future__ import annotations

import copy
import logging
import queue
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from logging.handlers import QueueHandler, QueueListener
from typing import IO, Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse
from pythonjsonlogger.json import JsonFormatter

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
PEER: ContextVar[str | None] = ContextVar("peer", default=None)
_KEY_ID = re.compile(r'keyid="([^"]{1,512})"', re.IGNORECASE)
DRIVER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")
FIELDS = {"levelname": "level", "name": "logger", "message": "event"}


def _claimed_peer(request: web.Request) -> str | None:
    """The host of the key a signed request names (cavage `Signature` or RFC 9421
    `Signature-Input`); only a host, never a path — and not yet verified."""
    header = request.headers.get("Signature-Input") or request.headers.get("Signature") or ""
    found = _KEY_ID.search(header)
    if not found:
        return None
    try:
        parts = urlsplit(found.group(1))
        host, port = parts.hostname, parts.port
    except ValueError:  # not a URL (an unclosed "[", a port that is not a number)
        return None
    return f"{host}:{port}" if host and port else host


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Gives every request a random id for its log lines and its `X-Request-Id` header."""
    request_id = secrets.token_hex(8)
    id_token = REQUEST_ID.set(request_id)
    peer_token = PEER.set(_claimed_peer(request))
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        REQUEST_ID.reset(id_token)
        PEER.reset(peer_token)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


class RequestContext(logging.Filter):
    """Adds the current request's id and claimed peer host to every record that has none."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in (("request_id", REQUEST_ID), ("peer", PEER)):
            value = var.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


def json_formatter() -> JsonFormatter:
    """`time` is UTC in ISO 8601 with microseconds."""
    return JsonFormatter(
        "{levelname}{name}{message}", style="{", rename_fields=FIELDS, timestamp="time"
    )


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing one JSON object per line, with the request context."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestContext())
    return handler


def quiet_drivers() -> None:
    """Database drivers log every statement *with its parameters* at DEBUG (aiosqlite) or INFO
    (SQLAlchemy's `echo`) — personal details, password hashes, post text. They log warnings
    only, whatever the node's level."""
    for name in DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure(level: int = logging.INFO, stream: IO[str] | None = None) -> None:
    """What `sharon serve` logs through: JSON lines on stderr, replacing other root handlers."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(json_handler(stream))
    root.setLevel(level)
    quiet_drivers()


class _Queued(QueueHandler):
    """Queues a copy of each record with its message made and its request context added here,
    on the thread that logged it (the context variables are that thread's); the traceback, if
    any, stays for the writing thread to format."""

    def __init__(self, records: queue.SimpleQueue[logging.LogRecord]) -> None:
        super().__init__(records)
        self.addFilter(RequestContext())

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        queued = copy.copy(record)
        queued.msg, queued.args = record.getMessage(), None  # the args may change later
        return queued


@contextmanager
def off_the_loop() -> Iterator[None]:
    """While inside, the root logger's handlers run on a thread of their own (a stdlib
    `QueueListener`); the logging thread only queues records. On leaving, every queued
    record is written before the handlers are put back."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = QueueListener(records, *handlers, respect_handler_level=True)
    listener.start()
    root.handlers = [_Queued(records)]  # one step: no record finds the root without a handler
    try:
        yield
    finally:
        root.handlers = handlers
        listener.stop()


class PathOnlyAccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %.3fs",
            request.method,
            request.path,
            response.status,
            response.body_length,
            time,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status,
                "bytes": response.body_length,
                "seconds": round(time, 4),
                "request_id": response.headers.get(REQUEST_ID_HEADER),
            },
        )


def runner_logging(enabled: bool) -> dict[str, Any]:
    """The `AppRunner` / `run_app` arguments for the access log: ours, or none at all."""
    return {"access_log_class": PathOnlyAccessLogger} if enabled else {"access_log": None}
