"""The RAM caches that hold partners' pictures and library pages and files are bounded in bytes,
not only in entries: least recently used first out, a value heavier than the whole bound never
kept, a replaced entry counted at its new weight, and every entry gone after its time."""

from __future__ import annotations

from datetime import timedelta

from conftest import MovableClock

from federation.cache import TTLCache
from federation.library_reading import Held, weigh_held


def test_the_picture_cache_is_bounded_in_bytes() -> None:
    cache: TTLCache[bytes] = TTLCache(
        max_entries=100, ttl=timedelta(minutes=5), clock=MovableClock(), max_bytes=1000, weigh=len
    )
    cache.put("a", b"x" * 400)
    cache.put("b", b"x" * 400)
    cache.put("c", b"x" * 400)  # over 1000: the least recently used goes
    assert cache.get("a") is None and cache.get("b") and cache.get("c")
    assert cache.weight == 800
    cache.put("huge", b"x" * 1001)  # heavier than the whole cache: not kept
    assert cache.get("huge") is None and cache.weight == 800
    cache.drop_here(["b"])
    assert cache.weight == 400


def held(size: int, tag: str = "x") -> Held:
    return Held(f'"{tag}"', "application/pdf", b"%" * size)


def test_the_library_cache_drops_the_least_recent_first_and_forgets_in_time() -> None:
    clock = MovableClock()
    cache: TTLCache[Held] = TTLCache(
        max_entries=100, ttl=timedelta(minutes=5), clock=clock, max_bytes=1000, weigh=weigh_held
    )
    cache.put("a", held(400))
    cache.put("b", held(400))
    assert cache.get("a") is not None  # now b is the least recently used
    cache.put("c", held(400))
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.weight == 800
    cache.put("a", held(100))  # replacing an entry counts its new weight only
    assert cache.weight == 500
    clock.advance(timedelta(minutes=6))
    assert cache.get("a") is None and cache.get("c") is None and cache.weight == 0
