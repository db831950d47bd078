"""Token buckets kept in one process: a client (or publisher) that goes too fast is told how
long to wait (429 with ``Retry-After``).

Each key may sustain ``rate`` tokens per second with bursts up to ``burst``. Buckets that
have refilled completely carry no information and are dropped when the table grows past
``max_clients``, so memory stays bounded whatever the traffic. The clock is injectable so
the arithmetic is tested without sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, rate: float, burst: int, *, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_clients = max_clients
        self.clock = clock
        self.buckets: dict[str, Bucket] = {}

    def _bucket(self, key: str, now: float) -> Bucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_clients:
                self.prune(now)
            bucket = self.buckets[key] = Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        return bucket

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens of ``key``: 0 if allowed, else seconds until they are
        available. A rate of 0 or less disables the limit."""
        if self.rate <= 0:
            return 0.0
        bucket = self._bucket(key, self.clock())
        cost = min(cost, self.burst)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self.rate

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may spend one token, spending nothing (0: it may now)."""
        if self.rate <= 0:
            return 0.0
        bucket = self.buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = min(self.burst, bucket.tokens + (self.clock() - bucket.updated) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def prune(self, now: float) -> None:
        full = [k for k, b in self.buckets.items()
                if b.tokens + (now - b.updated) * self.rate >= self.burst]
        for key in full:
            del self.buckets[key]
        while len(self.buckets) >= self.max_clients:  # all busy: drop the oldest
            del self.buckets[next(iter(self.buckets))]

    @staticmethod
    def retry_after(wait: float) -> str:
        """The ``Retry-After`` value for a wait: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait)))
