"""``python -m bench --quick``: every benchmark still runs to its end, in small sizes.

A smoke run, not a measure (the figures of a loaded test machine mean nothing): it fails
when a benchmark breaks, hangs past its bounded waits, or builds data the code now refuses
(a fixed date that the clock passed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = ["parse", "enrich", "indexing", "store", "query_http", "push_latency", "signin"]
#: Each benchmark of the quick run is stopped after 300 s (bench/__main__.py); on a quiet
#: machine the whole run takes about a minute.
LIMIT_S = 300 * len(BENCHMARKS)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(LIMIT_S + 60)]


def test_every_benchmark_runs_to_its_end_in_its_quick_size() -> None:
    run = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=REPO,
                         capture_output=True, text=True, env=dict(os.environ),
                         timeout=LIMIT_S)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    for name in BENCHMARKS:
        assert f"## bench.{name}" in out
    assert "gave up" not in out and "Traceback" not in out, out[-4000:]
    assert "stream -> enrich -> SQLite index" in out
    assert "maillage reindex (stream -> SQLite)" in out
