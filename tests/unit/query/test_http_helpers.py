"""Pure pieces of the HTTP layer: token buckets, ETag comparison, Accept-Encoding."""

from __future__ import annotations

from services.query.http import accepts_gzip, body_etag, etag_matches
from shared.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refuses() -> None:
    limiter = RateLimiter(rate=1.0, burst=3, clock=Clock())
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") > 0


def test_refusal_says_how_long_to_wait() -> None:
    limiter = RateLimiter(rate=2.0, burst=1, clock=Clock())
    limiter.take("a")
    assert limiter.take("a") == 0.5


def test_bucket_refills_with_time() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=1, clock=clock)
    limiter.take("a")
    clock.now = 1.0
    assert limiter.take("a") == 0.0


def test_clients_have_separate_buckets() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, clock=Clock())
    limiter.take("a")
    assert limiter.take("b") == 0.0


def test_table_of_clients_stays_bounded() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_clients=10, clock=Clock())
    for n in range(100):
        limiter.take(f"client-{n}")
    assert len(limiter.buckets) <= 10


def test_full_buckets_are_pruned_first() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=1, max_clients=2, clock=clock)
    limiter.take("idle")
    clock.now = 10.0
    limiter.take("busy")
    limiter.take("new")
    assert set(limiter.buckets) == {"busy", "new"}


def test_etag_is_weak_and_depends_on_the_body() -> None:
    assert body_etag(b"a").startswith('W/"')
    assert body_etag(b"a") != body_etag(b"b")


def test_etag_matches_weakly_and_in_lists() -> None:
    etag = body_etag(b"x")
    assert etag_matches(etag, etag)
    assert etag_matches(etag.removeprefix("W/"), etag)
    assert etag_matches(f'"other", {etag}', etag)
    assert etag_matches("*", etag)
    assert not etag_matches('"other"', etag)


def test_accepts_gzip() -> None:
    assert accepts_gzip("gzip, deflate, br")
    assert accepts_gzip("*")
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("deflate")
    assert not accepts_gzip("")


def test_page_limit_setting_is_bounded() -> None:
    """A page size past Elasticsearch's result window would turn every large search into a
    500; the setting is refused at start-up instead."""
    import pytest

    from services.query.settings import SETTINGS
    from shared.errors import ConfigError
    from shared.settings import load

    assert load(SETTINGS, {"MAILLAGE_MAX_LIMIT": "1000"}).max_limit == 1000
    for bad in ("0", "10000"):
        with pytest.raises(ConfigError):
            load(SETTINGS, {"MAILLAGE_MAX_LIMIT": bad})
