"""Small helpers shared by the benchmarks: machine note, medians, percentiles."""

from __future__ import annotations

import os
import platform
import statistics
import time


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(int(round(q / 100 * (len(ordered) - 1))), len(ordered) - 1)
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


class Deadline:
    """A bound on one wait of a benchmark: :meth:`check` fails the run with a message that
    says what was awaited, instead of hanging (``python -m bench`` goes on with the next)."""

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds, self.what = seconds, what
        self.end = time.monotonic() + seconds

    def check(self, state: str = "") -> None:
        if time.monotonic() > self.end:
            detail = f" ({state})" if state else ""
            raise SystemExit(f"bench: gave up after {self.seconds:.0f} s waiting for "
                             f"{self.what}{detail}")
