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
    ["bench.indexing", "--events", "100000", "--e2e-events", "20000"],
    ["bench.store", "--docs", "100000"],
    ["bench.query_http", "--docs", "100000"],
    ["bench.push_latency", "--calls", "200"],
    ["bench.signin", "--docs", "20000", "--requests", "200", "--burst", "200"],
    ["bench.associations", "--rows", "20000"],
]
QUICK = [
    ["bench.parse", "--events", "100", "--runs", "2"],
    ["bench.indexing", "--events", "2000", "--e2e-events", "1000"],
    ["bench.store", "--docs", "5000", "--runs", "20"],
    ["bench.query_http", "--docs", "5000", "--seconds", "3", "--each", "1"],
    ["bench.push_latency", "--calls", "30"],
    ["bench.signin", "--docs", "2000", "--requests", "30", "--burst", "60"],
    ["bench.associations", "--rows", "2000", "--docs", "2000", "--runs", "20"],
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="run only the benchmarks whose module contains this")
    args = parser.parse_args()
    failed = 0
    for command in QUICK if args.quick else FULL:
        if args.only and args.only not in command[0]:
            continue
        print(f"\n## {command[0]}", flush=True)
        failed += subprocess.call([sys.executable, "-m", *command]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
