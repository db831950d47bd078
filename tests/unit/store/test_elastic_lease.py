"""The writer lease of the Elasticsearch stores against a stand-in node (``fake_elastic``).

Every change of the lease document is conditional (``if_seq_no``/``if_primary_term`` or
``op_type=create``); the tests check the requests and what two holders can do to each other.
"""

from __future__ import annotations

import asyncio

import pytest

from shared.store.elastic import ElasticStore
from shared.store.elastic_lease import Lease, LeaseBusy, LeaseLost
from tests.unit.store.fake_elastic import running


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def ready(url: str) -> ElasticStore:
    store = ElasticStore(url, "t")
    await store.ensure()
    return store


async def test_the_lease_is_created_once_then_changed_only_by_compare_and_set() -> None:
    async with running() as fake:
        store = await ready(fake.url)
        lease = Lease(store.es, store.meta)
        await lease.acquire()
        await lease.renew()
        await lease.release()
        writes = [r for r in fake.requests if r.method == "PUT" and "/_doc/writer" in r.path]
        assert writes[0].params["op_type"] == "create"
        for w in writes[1:]:
            assert {"if_seq_no", "if_primary_term"} <= set(w.params)
            assert w.params["require_alias"] == "true"
        assert fake.source("t-meta", "writer")["owner"] is None
        await store.close()


async def test_a_second_writer_waits_for_the_first_then_gives_up_with_lease_busy() -> None:
    async with running() as fake:
        store = await ready(fake.url)
        first = Lease(store.es, store.meta)
        second = Lease(store.es, store.meta, wait_s=0.3, poll_s=0.02)
        await first.acquire()
        with pytest.raises(LeaseBusy):
            await second.acquire()
        await first.release()
        await second.acquire()
        assert fake.source("t-meta", "writer")["owner"] == second.owner
        await store.close()


async def test_holders_never_overlap() -> None:
    async with running() as fake:
        store = await ready(fake.url)
        inside: list[str] = []
        overlaps: list[tuple[str, ...]] = []

        async def work(name: str) -> None:
            lease = Lease(store.es, store.meta, poll_s=0.005)
            for _ in range(5):
                async with lease.hold():
                    inside.append(name)
                    if len(inside) > 1:
                        overlaps.append(tuple(inside))
                    await asyncio.sleep(0.01)
                    inside.remove(name)

        await asyncio.gather(*(work(n) for n in "abc"))
        assert overlaps == []
        await store.close()


async def test_a_dead_holder_is_taken_over_after_the_ttl_and_can_no_longer_write() -> None:
    async with running() as fake:
        store = await ready(fake.url)
        clock = Clock()
        dead = Lease(store.es, store.meta, ttl_s=60, renew_s=10, clock=clock)
        await dead.acquire()  # ...and never renews it again
        heir = Lease(store.es, store.meta, ttl_s=60, renew_s=10, wait_s=600, poll_s=0.001,
                     clock=clock)
        waiting = asyncio.create_task(heir.acquire())
        await asyncio.sleep(0.05)
        assert not waiting.done()  # the document has not changed for 60 s yet
        clock.now = 59.0
        await asyncio.sleep(0.05)
        assert not waiting.done()
        clock.now = 61.0
        await asyncio.wait_for(waiting, 5)
        assert fake.source("t-meta", "writer")["owner"] == heir.owner
        # the old holder wakes up: its next check renews, finds the lease taken, stops
        with pytest.raises(LeaseLost):
            await dead.check()
        await store.close()


async def test_a_holder_that_could_not_renew_in_time_stops_before_writing() -> None:
    async with running() as fake:
        store = await ready(fake.url)
        clock = Clock()
        lease = Lease(store.es, store.meta, ttl_s=60, renew_s=10, clock=clock)
        await lease.acquire()
        await lease.check()  # fresh

        def refuse(rec) -> None:
            if "/_doc/writer" in rec.path and rec.method == "PUT":
                raise ConnectionResetError("cluster unreachable")

        fake.before.append(refuse)
        clock.now = 51.0  # renewals failed since: 51 s >= ttl - renew_s
        with pytest.raises(Exception):  # noqa: B017 (the renewal request fails)
            await lease.check()
        fake.before.clear()
        await store.close()


async def test_a_batch_is_applied_under_the_lease_and_gives_it_back() -> None:
    from tests.contract.conftest import Factory

    async with running() as fake:
        store = await ready(fake.url)
        make = Factory()
        order: list[str] = []

        def trace(rec) -> None:
            if "/_doc/writer" in rec.path and rec.method == "PUT":
                order.append("lease")
            elif rec.path == "/_bulk":
                order.append("bulk")

        fake.before.append(trace)
        await store.apply([make.upsert(make.event("a"))])
        assert order[0] == "lease" and order[-1] == "lease" and "bulk" in order
        assert fake.source("t-meta", "writer")["owner"] is None
        await store.close()
