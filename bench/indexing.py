"""Indexing throughput: events/s from the stream into the index, end to end from harvest to
searchable, and ``maillage reindex`` of a stream. Real nats-server, real SQLite, the real
enrichment (with the reference data when MAILLAGE_REFERENCE_DIR or ../shared/reference has
it). Every wait is bounded: a run that stalls fails with a message.

    python -m bench.indexing [--events 100000] [--e2e-events 20000] [--reindex-events 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import tempfile
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from bench.common import Deadline, machine
from bench.parse import ics
from services.cli.replay import REINDEX_BATCH, reindex
from services.harvester.fetcher import Fetcher
from services.harvester.service import fetch_config
from services.harvester.settings import SETTINGS as HARVESTER_SETTINGS
from services.harvester.sources import Source
from services.harvester.state import SourceState
from services.harvester.worker import Harvester
from services.indexer.consumer import Indexer
from services.indexer.service import make_enricher, make_pool
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from shared.bus import EVENTS_SUBJECT, Bus
from shared.model import Event, EventMessage, Location, Occurrence
from shared.natsserver import NatsServer, free_port
from shared.settings import load
from shared.store.sqlite import SqliteStore

T = TypeVar("T")

TITLES = ["Atelier vélo", "Concert de chorale", "Repair café", "Conférence climat",
          "Balade nature", "Tournoi de foot", "Café des langues", "Atelier numérique"]
VENUES = ["Le Triangle", "Les Champs Libres", "Maison des Associations", "Parc du Thabor",
          "Antipode MJC", "Salle de la Cité"]


def messages(n: int) -> list[EventMessage]:
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        start = now + timedelta(minutes=37 * i)
        event = Event.create(
            source_id=f"src{i % 50}", source_uid=f"u{i}", title=f"{TITLES[i % 8]} {i}",
            description=f"<p>{TITLES[(i + 3) % 8]} ouvert à tous, entrée libre.</p>",
            location=Location(name=VENUES[i % 6], city="Rennes"),
            categories=(TITLES[i % 8].split()[0],),
            occurrences=(Occurrence(start, start + timedelta(hours=2)),),
        )
        out.append(EventMessage.upsert(event, version=1 + i))
    return out


async def publish_all(bus: Bus, msgs: list[EventMessage], window: int = 2000) -> float:
    t0 = time.perf_counter()
    pending = []
    for msg in msgs:
        pending.append(await bus.js.publish_async(
            f"{EVENTS_SUBJECT}.{msg.source_id}",
            msg.to_json(),
            headers={"Nats-Msg-Id": msg.msg_id},
        ))
        if len(pending) >= window:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    return time.perf_counter() - t0


async def bounded(work: Awaitable[T], seconds: float, what: str) -> T:
    """``await work``, failing the run with a message past ``seconds``."""
    try:
        return await asyncio.wait_for(work, seconds)
    except TimeoutError:
        raise SystemExit(f"bench: gave up after {seconds:.0f} s waiting for {what}") from None


def seconds_for(events: int) -> float:
    """How long a part may take: far more than it should (200 events/s), never forever."""
    return 60 + events / 200


async def index_until(bus: Bus, store: SqliteStore, expected: int) -> float:
    """Seconds until ``expected`` events are in the store (events, not documents: the
    harvested calendars' duplicates across sources merge into one document)."""
    settings = load(INDEXER_SETTINGS, os.environ)  # MAILLAGE_ENRICH_WORKERS as the indexer
    enricher = make_enricher(settings)
    pool = make_pool(settings)
    indexer = Indexer(bus, store, enricher.enrich, batch_size=settings.batch_size, pool=pool,
                      enrich_many=enricher.enrich_many)
    if pool is not None:  # started before the clock, as the indexer's are
        await pool.warm()
    t0 = time.perf_counter()
    task = asyncio.create_task(indexer.run(idle_timeout=0.2))
    deadline = Deadline(seconds_for(expected), f"{expected} events in the store")
    try:
        # The indexer's own count of what it committed is watched, and the store's count
        # asked once it says done: COUNT(*) over the events every 0.2 s took a core for a
        # second of a 15 s run, as much as the indexer's whole event loop.
        while True:
            stats = indexer.stats
            if stats.applied + stats.stale + stats.dead >= expected:
                count = await store.event_count()
                if count >= expected:
                    break
            if task.done():  # the indexer died: say why rather than wait
                task.result()
            deadline.check(f"{stats}")
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - t0
    finally:
        task.cancel()
        # stopped before the caller closes the connection: nats-py turns a cancellation
        # that meets a closed connection into ConnectionClosedError, which the fetch loop
        # retries, and the run never ended
        await asyncio.wait({task}, timeout=30)
        if pool is not None:
            pool.close()
    return elapsed


async def stream_to_index(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServer(Path(tmp) / "nats", free_port()).start()
        try:
            bus = await Bus.connect(server.url, "bench")
            await bus.ensure()
            msgs = messages(n)
            published = await publish_all(bus, msgs)
            store = SqliteStore(Path(tmp) / "index.sqlite")
            elapsed = await index_until(bus, store, n)
            print(f"publish (publish_async, window 2000)  {n / published:8.0f} events/s")
            print(f"stream -> enrich -> SQLite index     {n / elapsed:8.0f} events/s "
                  f"({n} events in {elapsed:.1f} s)")
            await bus.close()
        finally:
            server.stop()


async def harvest_to_searchable(n: int, per_source: int = 500) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServer(Path(tmp) / "nats", free_port()).start()
        app = web.Application()
        per_source = min(per_source, n)
        n = n // per_source * per_source  # whole calendars
        bodies = {f"/s{i}.ics": ics(per_source) for i in range(n // per_source)}

        async def serve(request: web.Request) -> web.Response:
            return web.Response(body=bodies[request.path], content_type="text/calendar")

        app.router.add_get("/{name}", serve)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            bus = await Bus.connect(server.url, "bench")
            await bus.ensure()
            settings = load(HARVESTER_SETTINGS, {"MAILLAGE_ALLOW_PRIVATE": "true",
                                                 "MAILLAGE_WINDOW_FUTURE_DAYS": "3650",
                                                 "MAILLAGE_PER_HOST_LIMIT": "8"})
            fetcher = Fetcher(fetch_config(settings))
            harvester = Harvester(settings, bus, fetcher)
            store = SqliteStore(Path(tmp) / "index.sqlite")
            t0 = time.perf_counter()
            index_task = asyncio.create_task(index_until(bus, store, n))
            for name in bodies:  # one source after the other; parsing is CPU-bound anyway
                source = Source(name.strip("/").removesuffix(".ics"),
                                f"http://127.0.0.1:{port}{name}")
                status = await harvester.harvest(source, SourceState())
                assert status.ok, status.error_message
            harvested = time.perf_counter() - t0
            await bounded(index_task, seconds_for(n), f"{n} harvested events in the store")
            elapsed = time.perf_counter() - t0
            print(f"harvest (fetch + parse ICS + publish)  {n / harvested:8.0f} events/s")
            print(f"harvest -> searchable (end to end)     {n / elapsed:8.0f} events/s "
                  f"({n} events in {elapsed:.1f} s)")
            await harvester.close()
            await fetcher.close()
            await bus.close()
        finally:
            await runner.cleanup()
            server.stop()


async def reindex_stream(n: int) -> None:
    """``maillage reindex`` (the command's own code) of a stream of ``n`` events."""
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServer(Path(tmp) / "nats", free_port()).start()
        try:
            bus = await Bus.connect(server.url, "bench")
            await bus.ensure()
            await publish_all(bus, messages(n))
            await bus.close()
            settings = load(INDEXER_SETTINGS, {
                **os.environ, "MAILLAGE_NATS_URL": server.url, "MAILLAGE_STORE": "sqlite",
                "MAILLAGE_SQLITE_PATH": str(Path(tmp) / "index.sqlite")})
            args = argparse.Namespace(batch_size=REINDEX_BATCH, yes=True)
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()) as report:
                await bounded(reindex(args, settings), seconds_for(n), f"reindex of {n} events")
            elapsed = time.perf_counter() - t0
            store = SqliteStore(settings.sqlite_path)
            indexed = await store.event_count()
            await store.close()
            if indexed != n:
                raise SystemExit(f"bench: reindex left {indexed} of {n} events: "
                                 f"{report.getvalue().strip()}")
            print(f"maillage reindex (stream -> SQLite)    {n / elapsed:8.0f} events/s "
                  f"({n} events in {elapsed:.1f} s)")
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--e2e-events", type=int, default=20_000)
    parser.add_argument("--reindex-events", type=int, default=100_000)
    args = parser.parse_args()
    print(f"# indexing ({machine()}; load average {os.getloadavg()[0]:.1f})")
    # 0 skips a part
    if args.events:
        asyncio.run(stream_to_index(args.events))
    if args.e2e_events:
        asyncio.run(harvest_to_searchable(args.e2e_events))
    if args.reindex_events:
        asyncio.run(reindex_stream(args.reindex_events))


if __name__ == "__main__":
    main()
