"""A bounded, in-memory, time-limited cache of remote content.

Remote post text lives here and nowhere else on this node: never on disk, gone after `ttl`, and
dropped at once when its home deletes it or the subnet stops being shared with us. Least
recently used entries go first when the cache is full.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from actors.clock import Clock

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(self, *, max_entries: int, ttl: timedelta, clock: Clock) -> None:
        self._entries: OrderedDict[str, tuple[datetime, V]] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl
        self._clock = clock

    def get(self, key: str) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, value = found
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: str, value: V) -> None:
        self._entries[key] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
