"""The indexer enriches a batch's events with one call (``Enricher.enrich_many``): the same
documents as one by one, poison still dead-lettered, and a failing batch enriched again one
event at a time so that only the event that fails is retried.

A real nats-server, real SQLite, the real enricher.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.indexer.consumer import Indexer
from services.indexer.service import make_enricher
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from shared.bus import EVENTS_SUBJECT, Bus, subject_token
from shared.model import Event
from shared.settings import load
from shared.store.sqlite import SqliteStore
from tests.contract.conftest import Factory
from tests.unit.store.test_elastic_dead_letters import drained

pytestmark = pytest.mark.integration


async def publish_events(bus: Bus, titles: list[str]) -> list[Event]:
    make = Factory()
    events = [make.event(f"e{i}", title, hour=9 + i,
                         description="<p>Réparation de vélos<script>x()</script></p>")
              for i, title in enumerate(titles)]
    for msg in [make.upsert(e) for e in events]:
        await bus.publish(f"{EVENTS_SUBJECT}.{subject_token(msg.source_id)}", msg.to_json(),
                          msg.msg_id)
    return events


async def index_all(bus: Bus, indexer: Indexer) -> None:
    task = asyncio.create_task(indexer.run(idle_timeout=0.1))
    try:
        await asyncio.wait_for(drained(bus), 60)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_batch_is_enriched_at_once_as_one_by_one(bus: Bus, tmp_path: Path) -> None:
    events = await publish_events(bus, ["Atelier vélo", "Concert de chorale", "Repair café"])
    await bus.publish(f"{EVENTS_SUBJECT}.s1", b"{not json", "poison-1")
    enricher = make_enricher(load(INDEXER_SETTINGS, {}))
    batches: list[int] = []

    def enrich_many(batch: list[Event]) -> list[Event]:
        batches.append(len(batch))
        return enricher.enrich_many(batch)

    def one_by_one(event: Event) -> Event:
        raise AssertionError("the batch path enriches no event alone")

    store = SqliteStore(tmp_path / "index.sqlite")
    indexer = Indexer(bus, store, one_by_one, batch_size=4, enrich_many=enrich_many)
    await index_all(bus, indexer)
    assert (indexer.stats.applied, indexer.stats.dead) == (3, 1)
    assert max(batches) > 1 and sum(batches) == 3
    for event in events:
        (doc,) = await store.event_docs(event.id)
        expected = make_enricher(load(INDEXER_SETTINGS, {})).enrich(event)
        assert doc["description"] == expected.description == "<p>Réparation de vélos</p>"
        assert doc["themes"] == [t.code for t in expected.themes] != []
        assert doc["keywords"] == list(expected.keywords)


async def test_a_failing_batch_is_enriched_one_by_one_and_only_the_culprit_retried(
        bus: Bus, tmp_path: Path) -> None:
    events = await publish_events(bus, ["Atelier vélo", "Boum", "Repair café"])
    enricher = make_enricher(load(INDEXER_SETTINGS, {}))

    def enrich_many(batch: list[Event]) -> list[Event]:
        if any(e.title == "Boum" for e in batch):
            raise RuntimeError("a bug on one event")
        return enricher.enrich_many(batch)

    def enrich(event: Event) -> Event:
        if event.title == "Boum":
            raise RuntimeError("a bug on one event")
        return enricher.enrich(event)

    store = SqliteStore(tmp_path / "index.sqlite")
    indexer = Indexer(bus, store, enrich, batch_size=4, max_deliver=1, enrich_many=enrich_many)
    await index_all(bus, indexer)
    assert (indexer.stats.applied, indexer.stats.dead) == (2, 1)
    assert await store.event_docs(events[1].id) == []
    for event in (events[0], events[2]):
        (doc,) = await store.event_docs(event.id)
        assert doc["keywords"] == list(enricher.enrich(event).keywords)
