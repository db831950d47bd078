"""When to look at a source again: polite polling as pure functions.

:func:`next_check` starts from the source's interval, backs off exponentially after
consecutive errors, and never polls sooner than the server asked (Cache-Control max-age,
Expires, RSS ``<ttl>``, Retry-After). The delay is clamped to ``[min_interval,
max_interval]`` and spread by a deterministic jitter derived from a seed (the source id), so
that after a restart the sources do not all come due at the same moment.

:class:`SourceHealth` counts consecutive failures and says when a source should be disabled.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

Duration = timedelta | float | int  # a timedelta or seconds

JITTER_FRACTION = 0.1  # the jitter moves a check by at most 10 % of its delay
MAX_BACKOFF_STEPS = 16  # 2**16 is far past any sensible cap

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


def _seconds(value: Duration) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def max_age(cache_control: str | None) -> float | None:
    """Seconds of ``max-age`` in a Cache-Control header, or None."""
    if not cache_control:
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


def expires_in(expires: str | datetime | None, now: datetime) -> float | None:
    """Seconds from ``now`` until an Expires header's date, or None if absent or unreadable.

    A past date (or the common ``0`` / ``-1``) gives 0: the server gives no lower bound.
    """
    if expires is None:
        return None
    when: datetime
    if isinstance(expires, datetime):
        when = expires
    else:
        try:
            when = parsedate_to_datetime(expires.strip())
        except (TypeError, ValueError, IndexError):
            return 0.0 if expires.strip() else None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def jitter_fraction(seed: str | int | None) -> float:
    """A number in [0, 1) that depends only on ``seed`` (0 when there is no seed)."""
    if seed is None:
        return 0.0
    digest = hashlib.sha256(str(seed).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def next_check(
    *,
    now: datetime,
    interval: Duration,
    ttl: int | float | None = None,
    cache_control: str | None = None,
    expires: str | datetime | None = None,
    retry_after: float | None = None,
    errors: int = 0,
    min_interval: Duration,
    max_interval: Duration,
    jitter_seed: str | int | None = None,
) -> datetime:
    """The time to fetch a source again.

    ``interval`` is the configured polling interval; ``ttl`` is an RSS ``<ttl>`` in minutes;
    ``cache_control``/``expires`` are raw response headers; ``retry_after`` is in seconds;
    ``errors`` counts consecutive failures (the delay doubles for each). Server hints only
    lengthen the delay. With Cache-Control max-age, Expires is ignored (RFC 9111).
    """
    low, high = _seconds(min_interval), _seconds(max_interval)
    if high < low:
        high = low
    delay = max(_seconds(interval), low)
    if errors > 0:
        delay *= 2 ** min(errors, MAX_BACKOFF_STEPS)
    hints = [
        max_age(cache_control),
        None if max_age(cache_control) is not None else expires_in(expires, now),
        ttl * 60.0 if ttl is not None and ttl > 0 else None,
        retry_after,
    ]
    delay = max([delay, *(h for h in hints if h is not None)])
    delay = min(max(delay, low), high)
    spread = delay * JITTER_FRACTION * jitter_fraction(jitter_seed)
    delay = delay + spread if delay + spread <= high else max(delay - spread, low)
    return now + timedelta(seconds=delay)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """Consecutive failures of one source; ``disabled`` once they reach the limit."""

    error_count: int = 0
    disabled: bool = False
    last_error_kind: str | None = None
    last_error: str | None = None

    def record_success(self) -> SourceHealth:
        return record_success(self)

    def record_failure(
        self, *, max_errors: int, kind: str | None = None, message: str | None = None
    ) -> SourceHealth:
        count = self.error_count + 1
        return replace(
            self,
            error_count=count,
            disabled=self.disabled or should_disable(count, max_errors),
            last_error_kind=kind,
            last_error=message,
        )


def record_success(health: SourceHealth) -> SourceHealth:
    """A success clears the error count (a disabled source stays disabled until re-enabled)."""
    return replace(health, error_count=0, last_error_kind=None, last_error=None)


def record_failure(error_count: int, max_errors: int) -> bool:
    """After one more failure on top of ``error_count``: should the source be disabled?

    ``max_errors <= 0`` means never disable.
    """
    return should_disable(error_count + 1, max_errors)


def should_disable(error_count: int, max_errors: int) -> bool:
    """True when ``error_count`` consecutive failures reach ``max_errors`` (> 0)."""
    return max_errors > 0 and error_count >= max_errors
