"""A bounded, in-memory, time-limited cache of remote content.

Remote post text lives here and nowhere else on this node: never on disk, gone after `ttl`, and
dropped at once when its home deletes it or the subnet stops being shared with us. Least
recently used entries go first when the cache is full: past `max_entries`, or — when it is
given a `weigh` — past `max_bytes` in all (pictures; an entry heavier than that is not kept).

A node may run as several processes, each with its own cache: `drop` also calls `on_drop`
with the keys, which node/shared.py sends to every other process, where they are dropped with
`drop_here` — so a Delete processed by the worker empties the web processes' caches at once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from actors.clock import Clock

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(
        self,
        *,
        max_entries: int,
        ttl: timedelta,
        clock: Clock,
        on_drop: Callable[[list[str]], None] | None = None,
        max_bytes: int | None = None,
        weigh: Callable[[V], int] | None = None,
    ) -> None:
        self._entries: OrderedDict[str, tuple[datetime, V]] = OrderedDict()
        self.on_drop = on_drop
        self._max = max_entries
        self._max_bytes = max_bytes
        self._weigh = weigh
        self.weight = 0  # the bytes held, when entries are weighed
        self._ttl = ttl
        self._clock = clock
        self.hits = 0  # lookups answered from here, and not (read by the node's /metrics)
        self.misses = 0

    def get(self, key: str) -> V | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        expires, value = found
        if expires <= self._clock():
            self.drop_here([key])
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: str, value: V) -> None:
        self.drop_here([key])
        weight = self._weigh(value) if self._weigh is not None else 0
        if self._max_bytes is not None and weight > self._max_bytes:
            return
        self._entries[key] = (self._clock() + self._ttl, value)
        self.weight += weight
        while len(self._entries) > self._max or (
            self._max_bytes is not None and self.weight > self._max_bytes
        ):
            _, (_, oldest) = self._entries.popitem(last=False)
            self.weight -= self._weigh(oldest) if self._weigh is not None else 0

    def drop(self, keys: Iterable[str]) -> None:
        """Drop `keys` here and (through `on_drop`) in every other process of the node."""
        keys = list(keys)
        self.drop_here(keys)
        if self.on_drop is not None and keys:
            self.on_drop(keys)

    def drop_here(self, keys: Iterable[str]) -> None:
        for key in keys:
            found = self._entries.pop(key, None)
            if found is not None and self._weigh is not None:
                self.weight -= self._weigh(found[1])

    def clear(self) -> None:
        self._entries.clear()
        self.weight = 0

    def __len__(self) -> int:
        return len(self._entries)
