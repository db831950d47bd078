"""The answer cache: expiry, LRU bounds in entries and bytes."""

from __future__ import annotations

from services.query.microcache import MicroCache

HEADERS = (("Content-Type", "application/json"),)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entry_is_served_until_it_expires() -> None:
    clock = Clock()
    cache = MicroCache(2.0, 10, 1000, clock=clock)
    cache.put("/a", b"x", HEADERS)
    clock.now = 1.9
    assert cache.get("/a") is not None
    clock.now = 2.0
    assert cache.get("/a") is None and cache.size == 0


def test_least_recently_used_goes_first_when_full() -> None:
    cache = MicroCache(2.0, 2, 1000, clock=Clock())
    cache.put("/a", b"x", HEADERS)
    cache.put("/b", b"x", HEADERS)
    cache.get("/a")
    cache.put("/c", b"x", HEADERS)
    assert list(cache.entries) == ["/a", "/c"]


def test_bytes_are_bounded() -> None:
    cache = MicroCache(2.0, 100, 1000, clock=Clock())
    for n in range(10):
        cache.put(f"/{n}", b"x" * 200, HEADERS)
    assert cache.size <= 1000 and len(cache.entries) == 5


def test_huge_answer_is_not_kept() -> None:
    cache = MicroCache(2.0, 100, 1000, clock=Clock())
    cache.put("/big", b"x" * 300, HEADERS)
    assert cache.get("/big") is None


def test_replacing_an_entry_keeps_the_size_right() -> None:
    cache = MicroCache(2.0, 100, 1000, clock=Clock())
    cache.put("/a", b"x" * 100, HEADERS)
    cache.put("/a", b"x" * 10, HEADERS)
    assert cache.size == 10


def test_expired_answers_leave_when_new_ones_come() -> None:
    clock = Clock()
    cache = MicroCache(2.0, 100, 10_000, clock=clock)
    for n in range(5):
        cache.put(f"/old{n}", b"x" * 100, HEADERS)
    clock.now = 1.0
    cache.put("/recent", b"x" * 100, HEADERS)
    clock.now = 2.5  # the five old answers expired, "/recent" has not
    cache.put("/new", b"x" * 100, HEADERS)
    assert list(cache.entries) == ["/recent", "/new"]
    assert cache.size == 200
