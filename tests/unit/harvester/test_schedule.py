"""Polite polling: next_check and SourceHealth are pure, so they are tested with plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.harvester.schedule import (
    SourceHealth,
    expires_in,
    jitter_fraction,
    max_age,
    next_check,
    record_failure,
    record_success,
)

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def delay(**kwargs: object) -> timedelta:
    args: dict[str, object] = {
        "now": NOW,
        "interval": HOUR,
        "min_interval": timedelta(minutes=15),
        "max_interval": timedelta(days=1),
    }
    args.update(kwargs)
    return next_check(**args) - NOW  # type: ignore[arg-type]


def test_plain_interval() -> None:
    assert delay() == HOUR


def test_interval_in_seconds_accepted() -> None:
    assert delay(interval=3600, min_interval=900, max_interval=86400) == HOUR


def test_interval_below_minimum_raised_to_minimum() -> None:
    assert delay(interval=timedelta(minutes=1)) == timedelta(minutes=15)


def test_interval_above_cap_clamped() -> None:
    assert delay(interval=timedelta(days=3)) == timedelta(days=1)


def test_cache_control_max_age_lengthens() -> None:
    assert delay(cache_control="public, max-age=7200") == 2 * HOUR


def test_cache_control_short_max_age_does_not_shorten() -> None:
    assert delay(cache_control="max-age=60") == HOUR


def test_cache_control_max_age_capped() -> None:
    assert delay(cache_control="max-age=31536000") == timedelta(days=1)


def test_cache_control_no_cache_ignored() -> None:
    assert delay(cache_control="no-cache, no-store") == HOUR


def test_s_maxage_is_not_max_age() -> None:
    assert max_age("s-maxage=9000") is None


def test_expires_in_future_lengthens() -> None:
    assert delay(expires="Fri, 14 Mar 2025 15:00:00 GMT") == 3 * HOUR


def test_expires_in_past_keeps_interval() -> None:
    assert delay(expires="Thu, 13 Mar 2025 15:00:00 GMT") == HOUR


def test_expires_zero_keeps_interval() -> None:
    assert expires_in("0", NOW) == 0.0


def test_expires_ignored_when_max_age_present() -> None:
    later = "Sat, 15 Mar 2025 00:00:00 GMT"
    assert delay(cache_control="max-age=5400", expires=later) == timedelta(minutes=90)


def test_rss_ttl_minutes_lengthens() -> None:
    assert delay(ttl=180) == 3 * HOUR


def test_rss_ttl_zero_ignored() -> None:
    assert delay(ttl=0) == HOUR


def test_retry_after_lengthens() -> None:
    assert delay(retry_after=5 * 3600.0) == 5 * HOUR


def test_retry_after_shorter_than_interval_ignored() -> None:
    assert delay(retry_after=30.0) == HOUR


def test_one_error_doubles() -> None:
    assert delay(errors=1) == 2 * HOUR


def test_three_errors_multiply_by_eight() -> None:
    assert delay(errors=3) == 8 * HOUR


def test_many_errors_capped() -> None:
    assert delay(errors=60) == timedelta(days=1)


def test_max_below_min_uses_min() -> None:
    assert delay(min_interval=2 * HOUR, max_interval=HOUR) == 2 * HOUR


def test_jitter_is_deterministic_for_a_seed() -> None:
    assert delay(jitter_seed="asso-42") == delay(jitter_seed="asso-42")


def test_jitter_differs_between_seeds() -> None:
    assert delay(jitter_seed="asso-1") != delay(jitter_seed="asso-2")


def test_jitter_only_lengthens_below_cap() -> None:
    assert HOUR <= delay(jitter_seed="asso-1") <= HOUR * 1.1


def test_jitter_at_cap_stays_under_cap() -> None:
    result = delay(interval=timedelta(days=2), jitter_seed="asso-1")
    assert timedelta(days=0.9) <= result <= timedelta(days=1)


def test_jitter_fraction_in_unit_interval() -> None:
    assert all(0.0 <= jitter_fraction(f"s{i}") < 1.0 for i in range(200))


def test_no_seed_no_jitter() -> None:
    assert jitter_fraction(None) == 0.0


def test_naive_expires_datetime_read_as_utc() -> None:
    assert expires_in(datetime(2025, 3, 14, 13, 0), NOW) == 3600.0


def test_record_failure_below_limit_keeps_source() -> None:
    assert record_failure(error_count=3, max_errors=10) is False


def test_record_failure_reaching_limit_disables() -> None:
    assert record_failure(error_count=9, max_errors=10) is True


def test_record_failure_zero_limit_never_disables() -> None:
    assert record_failure(error_count=1000, max_errors=0) is False


def test_health_counts_failures() -> None:
    health = SourceHealth().record_failure(max_errors=3, kind="timeout", message="timed out")
    assert (health.error_count, health.disabled, health.last_error_kind) == (1, False, "timeout")


def test_health_disabled_after_max_errors() -> None:
    health = SourceHealth()
    for _ in range(3):
        health = health.record_failure(max_errors=3)
    assert health.disabled


def test_health_success_resets_count() -> None:
    health = SourceHealth(error_count=4, last_error="x").record_success()
    assert (health.error_count, health.last_error) == (0, None)


def test_record_success_function_matches_method() -> None:
    health = SourceHealth(error_count=2)
    assert record_success(health) == health.record_success()
