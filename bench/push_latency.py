"""Push -> searchable latency of calls for projects (target: p99 under 1 s).

    python -m bench.push_latency [--calls 200] [--concurrency 1]

Starts a nats-server (temporary directory, free loopback port), the ingest app, the calls
indexer and the query app in this process, pushes N signed calls and, for each, measures the
time from sending the POST to the call being returned by ``GET /v1/calls/{id}``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from bench.common import Deadline
from services.indexer.calls_consumer import CallsIndexer
from services.ingest.app import create_app as create_ingest
from services.ingest.settings import SETTINGS as INGEST_SETTINGS
from services.ingest.signatures import sign
from services.query.app import create_app as create_query
from services.query.calls_routes import setup_calls
from services.query.settings import SETTINGS as QUERY_SETTINGS
from shared.bus import Bus
from shared.natsserver import NatsServer, free_port
from shared.settings import load
from shared.store.calls_sqlite import CallStore
from shared.store.sqlite import SqliteStore

SECRET = "whsec_" + base64.b64encode(b"bench-secret-0123456789abcdef!!").decode()


#: The calls' deadline: open for a while from now, whatever the day the bench runs.
DEADLINE = (datetime.now(UTC) + timedelta(days=120)).isoformat(timespec="seconds")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def one(session: aiohttp.ClientSession, ingest: str, query: str, n: int) -> float:
    body = json.dumps({
        "id": f"bench-{n}", "title": f"Appel numéro {n} pour les jardins partagés",
        "funder": "Ville de Rennes", "description": "<p>Un appel de test.</p>",
        "themes": ["environnement"], "deadline": DEADLINE,
    }).encode()
    headers = sign(SECRET, f"bench_{n}_{time.time_ns()}", int(time.time()), body)
    headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    async with session.post(f"{ingest}v1/push/bench/calls", data=body, headers=headers) as resp:
        assert resp.status == 202, await resp.text()
        cid = (await resp.json())["items"][0]["call_id"]
    deadline = Deadline(30, f"call {cid} to be searchable")
    while True:
        async with session.get(f"{query}v1/calls/{cid}") as resp:
            if resp.status == 200:
                return time.perf_counter() - started
        deadline.check(f"last answer {resp.status}")
        await asyncio.sleep(0.005)


async def main(calls: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        nats = NatsServer(Path(tmp) / "nats", free_port()).start()
        bus = await Bus.connect(nats.url, name="bench")
        await bus.ensure()
        settings = load(INGEST_SETTINGS, {"MAILLAGE_PUSH_SECRETS": f"bench={SECRET}",
                                          "MAILLAGE_PUSH_RATE": "0"})
        ingest = TestServer(create_ingest(bus, settings), host="127.0.0.1")
        store = CallStore(Path(tmp) / "calls.sqlite")
        task = asyncio.create_task(CallsIndexer(bus, store).run(idle_timeout=1.0))
        app = create_query(load(QUERY_SETTINGS, {"MAILLAGE_RATE_LIMIT": "0"}),
                           SqliteStore(Path(tmp) / "index.sqlite"))
        setup_calls(app, CallStore(store.path))
        query = TestServer(app, host="127.0.0.1")
        await ingest.start_server()
        await query.start_server()
        latencies: list[float] = []
        slots = asyncio.Semaphore(concurrency)
        try:
            async with aiohttp.ClientSession() as session:
                base_i, base_q = str(ingest.make_url("/")), str(query.make_url("/"))

                async def run(n: int) -> None:
                    async with slots:
                        latencies.append(await one(session, base_i, base_q, n))

                began = time.perf_counter()
                await asyncio.gather(*(run(n) for n in range(calls)))
                elapsed = time.perf_counter() - began
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await query.close()
            await ingest.close()
            await bus.close()
            nats.stop()
    ms = [v * 1000 for v in latencies]
    print(f"push -> searchable, {calls} calls, concurrency {concurrency}: "
          f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
          f"max {max(ms):.1f} ms ({calls / elapsed:.0f} calls/s)")
    print("target p99 < 1000 ms:", "met" if percentile(ms, 99) < 1000 else "NOT met")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.concurrency))
