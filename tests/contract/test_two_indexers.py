"""Two indexers sharing the ``indexer`` consumer of one stream and one store build the index
one writer would: the SQLite store's guarantee (its write lock orders the batches of every
process), which the Elasticsearch store keeps with its writer lease (docs/scaling.md).

A real nats-server; two :class:`~services.indexer.consumer.Indexer` s, each with its own store
object (its own connection, client and lease) on the same store; messages from three sources
that deduplicate into shared clusters, with newer versions, moves and retractions, published
one cluster after the other and taken one per batch, so that the two indexers recluster the
same cluster at the same moment. The reference is a SQLite store fed by one writer in version
order. (With the Elasticsearch store's lease turned into a no-op, the stand-in run failed 3
times in 4: clusters kept a moved member or were split.)
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from services.indexer.consumer import DURABLE, Indexer
from shared.bus import EVENTS_SUBJECT, Bus, subject_token
from shared.model import EventMessage
from shared.store.base import SearchQuery
from shared.store.sqlite import SqliteStore
from tests.contract.conftest import ES_URL, Factory

pytestmark = pytest.mark.integration

TWO_BACKENDS = ["sqlite", "elasticsearch-standin", *(["elasticsearch"] if ES_URL else [])]


def scenario(make: Factory) -> list[EventMessage]:
    msgs = []
    for i in range(30):
        for j, src in enumerate(("ics", "rss", "html")):
            title = (f"Bal folk {i}", f"Grand bal folk {i}", f"Bal folk numéro {i} !")[j]
            ev = make.event(f"bal{i}", title, source=src, day=i % 4, hour=9 + i % 9,
                            minute=5 * j, source_format=src)
            msgs.append(make.upsert(ev, 100))
            if i % 3 == 0 and src == "rss":  # moved later: leaves its cluster
                msgs.append(make.upsert(ev.with_(occurrences=make.event(
                    "x", day=i % 4, hour=20).occurrences), 200))
            if i % 4 == 1 and src == "html":
                msgs.append(make.retract(ev, 300))
        msgs.append(make.upsert(make.event(f"solo{i}", f"Atelier {i}", source="mjc",
                                           day=i % 4, hour=8), 100))
    return msgs


def shape(docs: list[dict[str, Any]]) -> list[tuple[str, tuple[str, ...], str]]:
    return sorted((d["id"], tuple(d["members"]), d["title"]) for d in docs)


async def everything(store: Any) -> list[dict[str, Any]]:
    return (await store.search(SearchQuery(limit=500, include_cancelled=True))).items


async def reference(msgs: list[EventMessage], tmp: Path) -> list[tuple[Any, ...]]:
    store = SqliteStore(tmp / "reference.sqlite")
    for msg in sorted(msgs, key=lambda m: m.version):
        await store.apply([msg])
    out = shape(await everything(store))
    await store.close()
    return out


async def open_pair(backend: str, tmp: Path, stack: AsyncExitStack) -> list[Any]:
    if backend == "sqlite":
        path = tmp / "shared.sqlite"
        return [SqliteStore(path), SqliteStore(path)]
    from shared.store.elastic import ElasticStore
    from tests.unit.store.fake_elastic import running

    url = ES_URL if backend == "elasticsearch" else (
        await stack.enter_async_context(running())).url
    assert url
    name = f"maillage-two-{uuid.uuid4().hex[:12]}"
    stores = [ElasticStore(url, name, refresh=True), ElasticStore(url, name, refresh=True)]
    await stores[0].reset()
    return stores


@pytest.mark.parametrize("backend", TWO_BACKENDS)
async def test_two_indexers_build_what_one_writer_builds(backend: str, bus: Bus,
                                                         tmp_path: Path) -> None:
    msgs = scenario(Factory())
    expected = await reference(msgs, tmp_path)
    for msg in msgs:
        await bus.publish(f"{EVENTS_SUBJECT}.{subject_token(msg.source_id)}", msg.to_json(),
                          msg.msg_id)
    async with AsyncExitStack() as stack:
        stores = await open_pair(backend, tmp_path, stack)
        indexers = [Indexer(bus, s, lambda event: event, batch_size=1, ack_wait_s=60)
                    for s in stores]
        tasks = [asyncio.create_task(ix.run(idle_timeout=0.1)) for ix in indexers]
        try:
            await asyncio.wait_for(drained(bus), 90)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        assert all(ix.stats.applied + ix.stats.stale > 0 for ix in indexers)  # both worked
        assert sum(ix.stats.dead for ix in indexers) == 0
        assert shape(await everything(stores[0])) == expected
        assert shape(await everything(stores[1])) == expected
        if backend != "sqlite":
            from shared.store.elastic_dedup import read_journal

            assert await read_journal(stores[0]) is None
        for store in stores:
            if backend != "sqlite" and store is stores[0]:
                await store.drop()
            await store.close()


async def drained(bus: Bus) -> None:
    while True:
        await asyncio.sleep(0.2)
        info = await bus.js.consumer_info("EVENTS", DURABLE)
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return
