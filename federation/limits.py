"""How much one peer node may ask of us: a token bucket per peer.

Counted after a request's signature verifies, so a forger cannot spend a real peer's budget;
a peer over its budget gets 429 with `Retry-After`, which our own Deliverer (and Mastodon's)
honours. Held in memory: a restart forgets the buckets, which only ever errs towards letting
a peer in.

Several web processes (`sharon serve --processes N`, or several machines) each hold a bucket
per peer, and the budget is the node's, not each process's: every process tells the others
what it spent (`drain_spent`, sent a few times a second by node/shared.py) and takes what they
spent from its own buckets (`spent_elsewhere`). A peer may so overdraw by at most what it
spends between two such notices; its bucket then goes negative and it waits the debt off.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from federation.errors import RequestRefused
from storage.models import Peer


@dataclass
class PeerRateLimiter:
    rate: float
    burst: float
    monotonic: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _spent: Counter[str] = field(default_factory=Counter)

    def take(self, peer_id: str) -> int | None:
        """Spend one request of `peer_id`'s budget; None if allowed, else seconds to wait."""
        now = self.monotonic()
        tokens = self._refilled(peer_id, now)
        if tokens >= 1.0:
            self._buckets[peer_id] = (tokens - 1.0, now)
            self._spent[peer_id] += 1
            return None
        self._buckets[peer_id] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def drain_spent(self) -> dict[str, int]:
        """What this process let each peer spend since the last call (to tell the others)."""
        spent, self._spent = dict(self._spent), Counter()
        return spent

    def spent_elsewhere(self, spent: Mapping[str, int]) -> None:
        """Another process of this node let these peers spend this much: it counts here too."""
        now = self.monotonic()
        for peer_id, count in spent.items():
            tokens = self._refilled(peer_id, now)
            self._buckets[peer_id] = (max(-self.burst, tokens - count), now)

    def _refilled(self, peer_id: str, now: float) -> float:
        tokens, then = self._buckets.get(peer_id, (self.burst, now))
        return min(self.burst, tokens + (now - then) * self.rate)


def admit(limiter: PeerRateLimiter, peer: Peer) -> None:
    """Spend one request of a verified peer's budget, or refuse it with 429 and Retry-After."""
    wait = limiter.take(peer.id)
    if wait is not None:
        raise RequestRefused(429, "too many requests from your node; slow down", wait)
