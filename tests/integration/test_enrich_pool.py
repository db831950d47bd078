"""The indexer with its enrichment workers (MAILLAGE_ENRICH_WORKERS): the same events, the
same enrichment and the same delivery rules as enriching in its own process.

A real nats-server, a real worker process (forkserver), real SQLite.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.indexer.consumer import Indexer
from services.indexer.enrich_pool import EnrichPool
from services.indexer.service import make_enricher
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from shared.bus import DLQ_SUBJECT, EVENTS_SUBJECT, Bus, subject_token
from shared.settings import load
from shared.store.sqlite import SqliteStore
from tests.contract.conftest import Factory
from tests.unit.store.test_elastic_dead_letters import drained

pytestmark = pytest.mark.integration


async def test_workers_enrich_as_the_indexer_does_and_poison_goes_to_the_dlq(
        bus: Bus, tmp_path: Path) -> None:
    make = Factory()
    events = [make.event(f"e{i}", title, hour=9 + i,
                         description="<p>Réparation de vélos<script>x()</script></p>")
              for i, title in enumerate(["Atelier vélo", "Concert de chorale", "Repair café"])]
    for msg in [make.upsert(e) for e in events]:
        await bus.publish(f"{EVENTS_SUBJECT}.{subject_token(msg.source_id)}", msg.to_json(),
                          msg.msg_id)
    await bus.publish(f"{EVENTS_SUBJECT}.s1", b"{not json", "poison-1")
    settings = load(INDEXER_SETTINGS, {})
    enricher = make_enricher(settings)
    pool = EnrichPool(1, settings.reference_dir, settings.timezone)
    store = SqliteStore(tmp_path / "index.sqlite")
    indexer = Indexer(bus, store, lambda event: event, batch_size=2, pool=pool)
    task = asyncio.create_task(indexer.run(idle_timeout=0.1))
    try:
        await asyncio.wait_for(drained(bus), 60)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        pool.close()
    assert (indexer.stats.applied, indexer.stats.dead) == (3, 1)
    for event in events:  # enriched by the worker exactly as here (not by the identity)
        (doc,) = await store.event_docs(event.id)
        expected = enricher.enrich(event)
        assert doc["description"] == expected.description == "<p>Réparation de vélos</p>"
        assert doc["themes"] == [t.code for t in expected.themes] != []
        assert doc["keywords"] == list(expected.keywords)
    sub = await bus.js.pull_subscribe(f"{DLQ_SUBJECT}.>", stream="DLQ")
    (dead,) = await sub.fetch(1, timeout=5)
    assert json.loads(dead.data)["reason"].startswith("undecodable event message")
    await store.close()



INDEXER = """
import asyncio, sys
from services.indexer.enrich_pool import EnrichPool

async def main():
    pool = EnrichPool(1, sys.argv[1], "Europe/Paris")
    await pool.warm()
    print(*pool.pids(), flush=True)
    await asyncio.sleep(600)

if __name__ == "__main__":
    asyncio.run(main())
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_ends_when_its_indexer_is_killed(tmp_path: Path) -> None:
    """``kill -9`` of the indexer reaches no shutdown code: its worker would wait for work
    forever, holding the reference data, one more at each restart."""
    script = tmp_path / "indexer.py"
    script.write_text(INDEXER, encoding="utf-8")
    settings = load(INDEXER_SETTINGS, {})
    proc = subprocess.Popen([sys.executable, str(script), settings.reference_dir],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
                            env=dict(os.environ))
    try:
        assert proc.stdout is not None
        (worker,) = [int(pid) for pid in proc.stdout.readline().split()]
        assert alive(worker)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 30
    while alive(worker):
        assert time.monotonic() < deadline, "the worker outlived its indexer"
        time.sleep(0.1)
