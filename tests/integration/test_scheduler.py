"""Harvester replicas share the sources through the JOBS work queue.

Two replicas (each its own NATS connection, scheduler and workers) run against one
nats-server: every source is harvested exactly once per due slot, and a replica that takes a
job and dies without acking it does not lose the source: another replica harvests it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import date, timedelta
from functools import partial

import pytest
from aiohttp import web
from nats.js.errors import NotFoundError

from services.harvester.fetcher import Fetcher
from services.harvester.scheduler import JOBS_DURABLE, Scheduler, enqueue
from services.harvester.service import fetch_config
from services.harvester.settings import SETTINGS
from services.harvester.sources import Source
from services.harvester.state import StateStore
from services.harvester.worker import Harvester
from shared.bus import JOBS_SUBJECT, Bus
from shared.natsserver import free_port
from shared.settings import load
from tests.integration.test_pipeline import eventually

pytestmark = pytest.mark.integration

DAY = date.today() + timedelta(days=2)


def calendar(uid: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//FR\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID=Europe/Paris:{DAY:%Y%m%d}T180000\r\nSUMMARY:Réunion {uid}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def replica(nats_url: str, sources: list[Source], ack_wait_s: float = 30):
    bus = await Bus.connect(nats_url, name="replica")
    settings = load(SETTINGS, {"MAILLAGE_ALLOW_PRIVATE": "true"})
    fetcher = Fetcher(fetch_config(settings))
    scheduler = Scheduler(
        bus, sources, StateStore(await bus.kv("harvest_state")),
        Harvester(settings, bus, fetcher), concurrency=2, tick_s=0.2, ack_wait_s=ack_wait_s,
    )
    return bus, fetcher, scheduler


async def stop(rbus: Bus, fetcher: Fetcher, scheduler: Scheduler) -> None:
    await scheduler.harvester.close()  # its parser processes
    await fetcher.close()
    await rbus.close()


async def test_two_replicas_harvest_each_source_exactly_once(bus, nats_server, feed_server):
    sources = [
        Source(f"assoc{i}", feed_server.put(f"a{i}.ics", calendar(f"e{i}"), "text/calendar"),
               interval=3600)
        for i in range(8)
    ]
    replicas = [await replica(nats_server.url, sources) for _ in range(2)]
    tasks = [asyncio.create_task(s.run()) for _, _, s in replicas]
    states = StateStore(await bus.kv("harvest_state"))
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            done = [(await states.get(s.id)).last_success for s in sources]
            if all(done):
                break
            assert asyncio.get_running_loop().time() < deadline, "sources not all harvested"
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # several more scheduler ticks on both replicas
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for made in replicas:
            await stop(*made)
    assert {f"/a{i}.ics": 1 for i in range(8)} == {
        path: n for path, n in feed_server.hits.items() if path.endswith(".ics")
    }


class StatesReadThenHeld(StateStore):
    """The harvest state, read from the bucket, then handed over only once ``release`` is
    set: a scheduler tick that read a source's state before another replica saved its own."""

    def __init__(self, kv, release: asyncio.Event) -> None:
        super().__init__(kv)
        self.release = release

    async def get(self, source_id: str):
        state = await super().get(source_id)
        await self.release.wait()
        return state


async def test_a_job_queued_on_a_state_read_before_another_replicas_harvest_is_dropped(
        bus, nats_server, feed_server):
    """Replica B's scheduler reads the state of a source never harvested; meanwhile replica A
    harvests it, saves its state and acks its job; then B queues its own job (a new slot, so
    the queue takes it). Before, that job was harvested again: the source twice at once."""
    source = Source("raced", feed_server.put("r.ics", calendar("r"), "text/calendar"),
                    interval=3600)
    a_bus, a_fetcher, a = await replica(nats_server.url, [source])
    b_bus, b_fetcher, b = await replica(nats_server.url, [source])
    release = asyncio.Event()
    b.states = StatesReadThenHeld(b.states.kv, release)
    tick = asyncio.create_task(b.schedule_due())
    workers = asyncio.create_task(a.run_workers())
    try:
        assert await a.schedule_due() == 1
        await eventually(lambda: _harvested(bus, "raced"), within=20)
        await eventually(partial(_jobs_left, bus, 0), within=20)  # A acked its job
        release.set()
        assert await tick == 1  # the queue took B's job: the one before was acked
        await eventually(partial(_jobs_left, bus, 0), within=20)  # ...and A took it
    finally:
        release.set()
        for task in (tick, workers):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await stop(a_bus, a_fetcher, a)
        await stop(b_bus, b_fetcher, b)
    assert feed_server.hits["/r.ics"] == 1


async def _harvested(bus: Bus, source_id: str) -> bool:
    return bool((await StateStore(await bus.kv("harvest_state")).get(source_id)).last_success)


async def _jobs_left(bus: Bus, count: int) -> bool:
    try:
        info = await bus.js.consumer_info("JOBS", JOBS_DURABLE)
    except NotFoundError:  # no worker has made the consumer yet
        return False
    return info.num_pending + info.num_ack_pending == count


async def test_job_of_a_replica_that_died_is_harvested_by_another(bus, nats_server, feed_server):
    source = Source("orphan", feed_server.put("o.ics", calendar("o"), "text/calendar"))
    assert await enqueue(bus, source.id, slot=1)
    # A replica takes the job and dies before acking it.
    dying = await Bus.connect(nats_server.url, name="dying")
    sub = await dying.pull("JOBS", JOBS_DURABLE, f"{JOBS_SUBJECT}.>", ack_wait_s=1)
    taken = await sub.fetch(1, timeout=5)
    assert json.loads(taken[0].data)["source_id"] == "orphan"
    await dying.nc.close()

    rbus, fetcher, scheduler = await replica(nats_server.url, [source], ack_wait_s=1)
    task = asyncio.create_task(scheduler.run_workers())
    states = StateStore(await bus.kv("harvest_state"))
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while not (await states.get("orphan")).last_success:
            assert asyncio.get_running_loop().time() < deadline, "the job was lost"
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await stop(rbus, fetcher, scheduler)
    assert feed_server.hits["/o.ics"] == 1


async def test_a_job_whose_slot_is_no_time_is_dropped_not_retried(bus, nats_server, feed_server):
    """A job's slot is read as a time (is the source still due then?); one out of any
    datetime's range is an unreadable job, dropped, not a harvest failed and retried."""
    good = Source("good", feed_server.put("g.ics", calendar("g"), "text/calendar"))
    payload = json.dumps({"source_id": "good", "slot": 10**30, "scheduled": True}).encode()
    assert await bus.publish(f"{JOBS_SUBJECT}.good", payload, "job.good.huge")
    rbus, fetcher, scheduler = await replica(nats_server.url, [good])
    task = asyncio.create_task(scheduler.run_workers())
    try:
        await eventually(partial(_jobs_left, bus, 0), within=20)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await stop(rbus, fetcher, scheduler)
    assert "/g.ics" not in feed_server.hits


async def test_a_pending_job_refuses_a_second_one_for_the_same_source(bus):
    assert await enqueue(bus, "same", slot=1)
    assert not await enqueue(bus, "same", slot=2)


async def test_the_ack_wait_setting_reaches_the_consumer_that_already_exists(bus):
    """The harvesters' durable consumer outlives them: replicas started with another
    MAILLAGE_JOB_ACK_WAIT update it. Before, they bound it as it was, so the setting was
    ignored and a job held by a replica killed with kill -9 waited the first start's 300 s."""
    await bus.pull("JOBS", JOBS_DURABLE, f"{JOBS_SUBJECT}.>", ack_wait_s=300,
                   max_ack_pending=1024)
    sub = await bus.pull("JOBS", JOBS_DURABLE, f"{JOBS_SUBJECT}.>", ack_wait_s=45,
                         max_ack_pending=1024)
    info = await bus.js.consumer_info("JOBS", JOBS_DURABLE)
    assert info.config.ack_wait == 45
    assert await enqueue(bus, "s", slot=1)
    assert [json.loads(m.data)["source_id"] for m in await sub.fetch(1, timeout=5)] == ["s"]


async def test_a_source_that_never_answers_does_not_hold_the_replicas_other_workers(
    bus, nats_server, feed_server
):
    """A source whose server holds every request up to the fetch timeout (or pages and event
    pages that each do) kept one harvest going for minutes. The workers took jobs in batches
    and waited for the whole batch: the replica's other workers stayed idle behind it, and
    every other source waited. Now a worker that is done takes the next job at once."""
    release = asyncio.Event()

    async def held(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text=calendar("held"), content_type="text/calendar")

    app = web.Application()
    app.router.add_get("/held.ics", held)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    sources = [Source("held", f"http://127.0.0.1:{port}/held.ics"), *(
        Source(f"good{i}", feed_server.put(f"g{i}.ics", calendar(f"g{i}"), "text/calendar"))
        for i in range(2))]
    rbus, fetcher, scheduler = await replica(nats_server.url, sources)  # two workers
    states = StateStore(await bus.kv("harvest_state"))

    async def harvested(source_id: str) -> bool:
        return bool((await states.get(source_id)).last_success)

    assert await enqueue(bus, "held", slot=1) and await enqueue(bus, "good0", slot=1)
    task = asyncio.create_task(scheduler.run_workers())
    try:
        await eventually(partial(harvested, "good0"))
        assert await enqueue(bus, "good1", slot=1)
        await eventually(partial(harvested, "good1"))  # while "held" is still held
        assert not await harvested("held")
    finally:
        release.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await stop(rbus, fetcher, scheduler)
        await runner.cleanup()
