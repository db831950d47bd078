"""A bus whose nats-server dies and comes back: it reconnects by itself, its pull consumer, key
values and publishes work again, it says so in a few lines (not one per attempt), and closing
it while the server is away is quiet."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import pytest

from shared.bus import EVENTS_SUBJECT, Bus
from shared.natsserver import NatsServer
from tests.integration.faults.procs import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_the_bus_reconnects_and_says_so_in_a_few_lines(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    bus = await Bus.connect(nats_server.url, name="reconnecting")
    await bus.ensure()
    sub = await bus.pull("EVENTS", "test", f"{EVENTS_SUBJECT}.>")
    kv = await bus.kv("harvest_state")
    await bus.publish(f"{EVENTS_SUBJECT}.a", b"before", "m-before")
    caplog.set_level(logging.WARNING, logger="shared.bus")
    try:
        nats_server.kill()
        await asyncio.sleep(8)  # ~16 reconnect attempts
        nats_server.start()
        await wait_until(lambda: bus.nc.is_connected, 15, "the reconnection")
        await kv.put("k", b"v")
        assert await bus.publish(f"{EVENTS_SUBJECT}.a", b"after", "m-after")
        got = [m.data for m in await sub.fetch(2, timeout=5)]
        assert got == [b"before", b"after"]
    finally:
        await bus.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "shared.bus"]
    assert any("reconnected after" in line for line in lines), lines
    assert len(lines) <= 6, lines


async def test_closing_while_the_server_is_away_is_quiet(nats_server: NatsServer) -> None:
    bus = await Bus.connect(nats_server.url, name="closing")
    nats_server.kill()
    await asyncio.sleep(1)
    await bus.close()  # used to raise ConnectionReconnectingError (a traceback on Ctrl-C)
    assert bus.nc.is_closed


async def test_a_service_stops_at_once_and_quietly_after_its_pull_loop_is_cancelled(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    """What SIGTERM does to the harvester and indexer: their fetch loop is cancelled while a
    fetch waits, then the bus closes. The server's end-of-request status was left in the pull
    subscription, which nobody reads any more, and the drain waited for it until its timeout:
    every Ctrl-C of 'make run' took 3 s and logged 'draining connection timed out' twice."""
    bus = await Bus.connect(nats_server.url, name="stopping")
    await bus.ensure()
    sub = await bus.pull("EVENTS", "stopping", f"{EVENTS_SUBJECT}.>")

    async def fetch_loop() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await sub.fetch(10, timeout=1)

    task = asyncio.create_task(fetch_loop())
    await asyncio.sleep(2.5)  # a fetch timed out, the next one waits
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    caplog.set_level(logging.WARNING, logger="shared.bus")
    started = time.monotonic()
    await bus.close()
    assert time.monotonic() - started < 1.5
    assert bus.nc.is_closed
    assert not [r.getMessage() for r in caplog.records if r.name == "shared.bus"]
