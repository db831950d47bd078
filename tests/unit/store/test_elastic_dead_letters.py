"""A document Elasticsearch refuses does not stop the stream: its message goes to the DLQ.

A real nats-server, the real indexer consumer, the Elasticsearch store against the stand-in
node (``fake_elastic``), which refuses one document with a per-item 400 as Elasticsearch
does for a mapping error.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from services.indexer.consumer import DURABLE, Indexer
from shared.bus import DLQ_SUBJECT, EVENTS_SUBJECT, Bus, subject_token
from shared.store.base import SearchQuery
from shared.store.elastic import ElasticStore
from tests.contract.conftest import Factory
from tests.unit.store.fake_elastic import running

pytestmark = pytest.mark.integration


async def test_a_refused_document_dead_letters_its_message_and_the_stream_goes_on(
        bus: Bus) -> None:
    make = Factory()
    poison = make.event("p", "Poison", hour=12)
    msgs = [make.upsert(make.event("a", "Atelier vélo", hour=9)), make.upsert(poison),
            make.upsert(make.event("b", "Vide-grenier", hour=15))]
    for msg in msgs:
        await bus.publish(f"{EVENTS_SUBJECT}.{subject_token(msg.source_id)}", msg.to_json(),
                          msg.msg_id)
    async with running() as fake:
        fake.reject(lambda index, _id, src: "document_parsing_exception: [keywords] term "
                    "too long" if (src.get("doc") or {}).get("title") == "Poison" else None)
        store = ElasticStore(fake.url, "t", refresh=True)
        record = await index_all(bus, store)
        assert record["reason"].startswith("refused by the store: document_parsing_exception")
        assert json.loads(record["data"])["event_id"] == poison.id
        await store.close()


async def index_all(bus: Bus, store: ElasticStore) -> dict:
    """Run the indexer until the stream is drained; check the two good events are indexed
    in one pass and one message was dead-lettered: its DLQ record."""
    indexer = Indexer(bus, store, lambda event: event, batch_size=10)
    task = asyncio.create_task(indexer.run(idle_timeout=0.1))
    try:
        await asyncio.wait_for(drained(bus), 30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    page = await store.search(SearchQuery(limit=10))
    assert [d["title"] for d in page.items] == ["Atelier vélo", "Vide-grenier"]
    assert indexer.stats.dead == 1 and indexer.stats.retried_batches == 0
    sub = await bus.js.pull_subscribe(f"{DLQ_SUBJECT}.>", stream="DLQ")
    (dead,) = await sub.fetch(1, timeout=5)
    record: dict = json.loads(dead.data)
    return record


async def drained(bus: Bus) -> None:
    while True:
        await asyncio.sleep(0.1)
        info = await bus.js.consumer_info("EVENTS", DURABLE)
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return


async def test_an_id_elasticsearch_refuses_for_the_whole_request_does_not_block_the_stream(
        bus: Bus) -> None:
    # an id over 512 bytes fails a bulk request as a whole (400
    # action_request_validation_exception): the batch was nak'ed and retried forever
    make = Factory()
    good = [make.upsert(make.event("a", "Atelier vélo", hour=9)),
            make.upsert(make.event("b", "Vide-grenier", hour=15))]
    poison = make.upsert(make.event("p", "Poison", hour=12)).to_dict()
    poison["event_id"] = poison["event"]["id"] = "ev_" + "x" * 600
    raw = [good[0].to_json(), json.dumps(poison).encode(), good[1].to_json()]
    for i, data in enumerate(raw):
        await bus.publish(f"{EVENTS_SUBJECT}.s1", data, f"m{i}")
    async with running() as fake:
        store = ElasticStore(fake.url, "t", refresh=True)
        record = await index_all(bus, store)
        assert "an id of 603 bytes" in record["reason"]
        await store.close()
