"""``make bench``: every benchmark, one after the other, each in its own process.

    python -m bench            the full runs (100k documents; several minutes)
    python -m bench --quick    smaller runs, to check the benchmarks themselves work

Figures are medians and percentiles on this machine (printed at the top of each part);
the machines are small and noisy, so compare ratios, not single runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

FULL = [
    ["bench.parse", "--events", "500", "--runs", "5"],
    ["bench.enrich", "--runs", "3"],
    ["bench.indexing", "--events", "100000", "--e2e-events", "20000"],
    ["bench.store", "--docs", "100000"],
    ["bench.query_http", "--docs", "100000"],
    ["bench.push_latency", "--calls", "200"],
    ["bench.signin", "--docs", "20000", "--requests", "200", "--burst", "200"],
    ["bench.associations", "--rows", "20000"],
    ["bench.directory", "--associations", "20000", "--queries", "2000"],
    ["bench.board", "--documents", "20000", "--queries", "2000"],
    ["bench.network", "--associations", "500", "--links", "2000"],
    ["bench.venues", "--venues", "2000", "--slots", "40", "--queries", "500"],
]
QUICK = [  # a few seconds each: checks that every benchmark still runs to its end
    ["bench.parse", "--events", "50", "--runs", "1"],
    ["bench.enrich", "--runs", "1", "--set", "real"],
    ["bench.indexing", "--events", "300", "--e2e-events", "200", "--reindex-events", "300"],
    ["bench.store", "--docs", "500", "--runs", "5", "--first-runs", "3"],
    ["bench.query_http", "--docs", "500", "--seconds", "1", "--each", "1", "--python",
     "--workers", "1"],
    ["bench.push_latency", "--calls", "5"],
    ["bench.signin", "--docs", "200", "--requests", "5", "--burst", "10", "--seconds", "1"],
    ["bench.associations", "--rows", "500", "--docs", "500", "--runs", "5"],
    ["bench.directory", "--associations", "500", "--queries", "50"],
    ["bench.board", "--documents", "500", "--queries", "50"],
    ["bench.network", "--associations", "50", "--links", "100", "--runs", "2"],
    ["bench.venues", "--venues", "50", "--slots", "5", "--queries", "5"],
]
#: Seconds a benchmark may run before it is stopped and reported as failed (they bound their
#: own waits; this is the last resort, so that ``python -m bench`` never hangs).
LIMIT_S = {"full": 3600, "quick": 300}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="run only the benchmarks whose module contains this")
    args = parser.parse_args()
    limit = LIMIT_S["quick" if args.quick else "full"]
    failed = []
    for command in QUICK if args.quick else FULL:
        if args.only and args.only not in command[0]:
            continue
        print(f"\n## {command[0]}", flush=True)
        try:
            code = subprocess.call([sys.executable, "-m", *command], timeout=limit)
        except subprocess.TimeoutExpired:
            print(f"bench: {command[0]} stopped after {limit} s", flush=True)
            code = -1
        if code != 0:
            failed.append(command[0])
    if failed:
        print(f"\nbench: failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
