"""How much one peer node may ask of us: a token bucket per peer.

Counted after a request's signature verifies, so a forger cannot spend a real peer's budget;
a peer over its budget gets 429 with `Retry-After`, which our own Deliverer (and Mastodon's)
honours. Held in memory: a restart forgets the buckets, which only ever errs towards letting
a peer in.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class PeerRateLimiter:
    rate: float
    burst: float
    monotonic: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, peer_id: str) -> int | None:
        """Spend one request of `peer_id`'s budget; None if allowed, else seconds to wait."""
        now = self.monotonic()
        tokens, then = self._buckets.get(peer_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            self._buckets[peer_id] = (tokens - 1.0, now)
            return None
        self._buckets[peer_id] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))
