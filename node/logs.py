"""The access log: method, path, status, size and time — never the query string.

Invitation and password-reset links carry their secret in `?token=`, and the default aiohttp
access log writes the whole request line; nor are client addresses or user agents written here.
"""

from __future__ import annotations

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse


class PathOnlyAccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %.3fs",
            request.method,
            request.path,
            response.status,
            response.body_length,
            time,
        )
