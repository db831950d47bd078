"""Query-service HTTP benchmark: ``python -m bench.query_http [--docs 100000] [--path FILE]``.

Seeds a SQLite index with generated occurrences (the generator of :mod:`bench.store`),
starts the query service as its own process (``python -m services.query``, rate limit off)
and drives it over loopback with 50 concurrent connections: ``wrk`` when installed, else a
bounded aiohttp load generator. Clients send ``Accept-Encoding: gzip`` like browsers do.
Reports requests/s, p50/p99 latency for the mixed workload and for each query alone, and the
server's highest memory during the runs (master and workers: proportional set size, and
resident). ``--workers`` sets
``MAILLAGE_QUERY_WORKERS`` (default 2: one per core of the reference machine).

Targets (2-core machine): >= 500 req/s on the mix, < 300 MB resident.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

from bench.common import machine, percentile
from bench.store import WORDS, make_events
from shared.memory import process_memory_kb
from shared.model import EventMessage
from shared.natsserver import free_port
from shared.process import stop_process
from shared.store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parent.parent


def queries(sample_id: str) -> dict[str, str]:
    """The workload: name -> path. The mix cycles through all of them."""
    month = date.today() + timedelta(days=30)
    return {
        "front page (facets)": "/v1/events",
        "q=concert": "/v1/events?q=concert",
        "q=atelier vélo": "/v1/events?q=atelier%20v%C3%A9lo",
        "theme+quartier": "/v1/events?theme=sport&quartier=Centre",
        "near+radius, by distance": "/v1/events?near=48.11,-1.68&radius_km=1.5&sort=distance",
        "one week, free": f"/v1/events?from={month}&to={month + timedelta(days=6)}&free=true",
        "accessibility": "/v1/events?accessibility=hi",
        "page 2 (cursor)": "",  # filled in once the server answers
        "event detail": f"/v1/events/{sample_id}",
        "themes": "/v1/themes",
        "suggest": "/v1/suggest?q=con",
        "export ICS (100)": "/v1/events.ics?theme=solidarite&limit=100",
    }


def seed(path: Path, docs: int) -> None:
    store = SqliteStore(path)
    if store.count_sync() == 0:
        events = make_events(docs)
        t0 = time.perf_counter()
        for i in range(0, len(events), 1000):
            store.apply_sync([EventMessage.upsert(e, 1) for e in events[i:i + 1000]])
        print(f"seeded {store.count_sync()} occurrences in {time.perf_counter() - t0:.0f} s")
    else:
        print(f"reusing {path}: {store.count_sync()} occurrences")


def get_json(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def start_server(path: Path, port: int, microcache: bool,
                 workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MAILLAGE_SQLITE_PATH": str(path), "MAILLAGE_HTTP_PORT": str(port),
           "MAILLAGE_QUERY_WORKERS": str(workers),
           "MAILLAGE_HTTP_HOST": "127.0.0.1", "MAILLAGE_RATE_LIMIT": "0",
           "MAILLAGE_DATA_DIR": str(path.parent), "LOG_LEVEL": "WARNING",
           "MAILLAGE_MICROCACHE_SECONDS": "2" if microcache else "0"}
    process = subprocess.Popen([sys.executable, "-m", "services.query"], cwd=REPO, env=env)
    deadline = time.monotonic() + 600  # opening may rebuild an index of an older layout
    while time.monotonic() < deadline:
        try:
            get_json(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            time.sleep(0.2)
            continue
        wait_idle(process.pid, deadline)  # every worker has built its index
        return process
    process.kill()
    raise SystemExit("the query service did not start")


def with_children(pid: int) -> list[int]:
    """``pid`` and its child processes (the query workers)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def cpu_ticks(pid: int) -> int:
    total = 0
    for one in with_children(pid):
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def wait_idle(pid: int, deadline: float) -> None:
    """Until the server's processes use (almost) no CPU for a second."""
    before = cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_ticks(pid)
        if now - before < 10:
            return
        before = now


def memory_mb(pid: int) -> tuple[float, float]:
    """Memory of ``pid`` and its child processes (the workers), in MB: the sum of their
    proportional set sizes (each shared page divided among the processes that map it: the
    physical memory the service holds, what the target is about) and the sum of their
    resident sizes (which counts the pages the forked workers share with the master once per
    process)."""
    memory = [process_memory_kb(one) for one in with_children(pid)]
    return (sum(m["Pss"] for m in memory) / 1024, sum(m["Rss"] for m in memory) / 1024)


class MemorySampler:
    """The highest :func:`memory_mb` seen, sampled every second in a thread during the runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = (0.0, 0.0)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.done.wait(1.0):
            with contextlib.suppress(OSError, ValueError):  # a worker restarting
                now = memory_mb(self.pid)
                self.peak = (max(self.peak[0], now[0]), max(self.peak[1], now[1]))

    def __enter__(self) -> MemorySampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
"""


def unique_paths(count: int) -> list[str]:
    """Searches that are all different (no answer cache can help): word pairs of the
    generator's vocabulary, one page each."""
    rng = random.Random(3)
    words = [w for w in WORDS if w.isalpha()]
    return [f"/v1/events?q={quote(rng.choice(words))}%20{quote(rng.choice(words)[:3])}"
            f"&limit={rng.randint(5, 30)}" for _ in range(count)]


def run_wrk(base: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(json.dumps(p) for p in paths))
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
             "-s", script.name, base], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
        return float(match.group(1)) * scale

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": latency("50"),
            "p99": latency("99"), "errors": float(errors.group(1)) if errors else 0.0}


def run_python(base: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    import aiohttp

    async def drive() -> dict[str, float]:
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds
        counter = iter(range(10**12))
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(base, connector=connector) as session:

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline:
                    path = paths[next(counter) % len(paths)]
                    t0 = time.perf_counter()
                    async with session.get(path, headers={"Accept-Encoding": "gzip"}) as resp:
                        await resp.read()
                        errors += resp.status >= 400
                    latencies.append((time.perf_counter() - t0) * 1000)

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(connections)))
            took = time.perf_counter() - t0
        return {"rps": len(latencies) / took, "p50": percentile(latencies, 50),
                "p99": percentile(latencies, 99), "errors": float(errors)}

    return asyncio.run(drive())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--path", type=Path, default=None, help="reuse or keep this index file")
    parser.add_argument("--seconds", type=int, default=15, help="duration of the mixed run")
    parser.add_argument("--each", type=int, default=4, help="duration of each single-query run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--python", action="store_true", help="use the Python load generator")
    parser.add_argument("--workers", type=int, default=2, help="query service processes")
    parser.add_argument("--no-cache-only", action="store_true",
                        help="skip the run with the answer cache")
    args = parser.parse_args()

    path = args.path or Path(tempfile.mkdtemp()) / "bench.sqlite"
    seed(path, args.docs)
    use_wrk = shutil.which("wrk") is not None and not args.python
    load = run_wrk if use_wrk else run_python

    def drive(base: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
        result = load(base, paths, seconds, connections)
        get_json(base + "/healthz")  # answered once the backlog of the run is drained
        return result

    print(f"machine: {machine()}; load: {'wrk' if use_wrk else 'aiohttp'}, "
          f"{args.connections} connections; {args.workers} query worker(s)")
    for microcache in (False,) if args.no_cache_only else (True, False):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(path, port, microcache, args.workers)
        try:
            first = get_json(base + "/v1/events?limit=20")
            workload = queries(first["items"][0]["id"])
            workload["page 2 (cursor)"] = "/v1/events?cursor=" + str(first["next"])
            with MemorySampler(server.pid) as sampler:
                rows = [(name, drive(base, [p], args.each, args.connections))
                        for name, p in workload.items()]
                rows.append(("MIX (all of the above)",
                             drive(base, list(workload.values()), args.seconds,
                                   args.connections)))
                rows.append(("UNIQUE q searches (x2000)",
                             drive(base, unique_paths(2000), args.seconds, args.connections)))
            pss, rss = sampler.peak
        finally:
            stop_process(server, 30)
        print(f"\nanswer cache {'ON (2 s)' if microcache else 'OFF'}; "
              f"index: {first['total']} upcoming occurrences")
        print(f"{'query':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  path")
        for name, r in rows:
            print(f"{name:28} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} "
                  f"{r['errors']:7.0f}  {workload.get(name, '')}")
        print(f"server memory, highest during the runs (master and workers): {pss:.0f} MB"
              f" proportional (target < 300 MB); {rss:.0f} MB as the sum of resident sizes")


if __name__ == "__main__":
    main()
