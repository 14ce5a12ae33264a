"""Agreeing to federate with another trust's node, as an admin asks for it from a web page.

Fetching a node's public documents is federation's job; the web UI reaches it only through the
`Peering` protocol here, wired up in `node/app.py`. An admin first looks a node up (its name and
the fingerprint of its instance key, to compare with what the other trust's admin reads out),
then agrees; the agreement pins that key only if it is still the one the admin saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Candidate:
    """A node an admin may agree to peer with: what its public documents say."""

    url: str
    name: str
    fingerprint: str


class Peering(Protocol):
    """Finding and agreeing peers; both raise `actors.errors.Invalid` with a reason to show."""

    async def look_up(self, url: str) -> Candidate: ...

    async def agree(self, url: str, *, fingerprint: str, who: str) -> Candidate:
        """Add the node as a peer if its key still has `fingerprint`; `who` is audited."""
        ...

    def changed(self) -> None:
        """Every process of the node re-reads its peers (after one is added or removed)."""
        ...
