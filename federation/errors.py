"""The root of every error `federation/` raises on purpose, so a caller that must survive any
federation failure names one class, not a tuple that misses some."""

from __future__ import annotations


class FederationError(Exception):
    """Something a peer sent, or failed to send, cannot be used; see the subclass for what."""


class RequestRefused(FederationError):
    """An inbound request we will not act on; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
