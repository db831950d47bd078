"""The indexer with its enrichment workers (MAILLAGE_ENRICH_WORKERS): the same events, the
same enrichment and the same delivery rules as enriching in its own process.

A real nats-server, a real worker process (forkserver), real SQLite.
"""

from __future__ import annotations

import asyncio
import json
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

