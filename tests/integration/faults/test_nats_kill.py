"""``kill -9`` of nats-server, then a restart on the same store: nothing acknowledged is lost.

1. A publisher records every publish the server acknowledged; the server is killed mid-way and
   restarted; every acknowledged message is in the stream afterwards, each once.
2. A real harvester process is harvesting a large calendar when the server is killed; after the
   restart its job is redelivered (it was never acked) and re-published with the same message
   ids, so the stream ends with every event of the calendar exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.bus import EVENTS_SUBJECT, Bus
from shared.model import Event, EventMessage, Occurrence
from shared.natsserver import NatsServer
from tests.integration.faults.feeds import calendar, feed_server, sources_file
from tests.integration.faults.procs import Processes, wait_until
from tests.integration.faults.streams import create_jobs_consumer, stored_messages

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def test_every_acknowledged_publish_survives_kill_9_of_nats_server(
    nats_server: NatsServer,
) -> None:
    total = 4000
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    bus = await Bus.connect(nats_server.url, name="test-publisher")
    await bus.ensure()
    acked: set[str] = set()

    async def publish_all() -> None:
        for i in range(total):
            event = Event.create(source_id="src", source_uid=f"u{i}", title=f"Réunion {i}",
                                 occurrences=(Occurrence(start=start + timedelta(hours=i)),))
            msg = EventMessage.upsert(event, version=1_000 + i)
            with contextlib.suppress(Exception):  # refused or unanswered: not acknowledged
                await asyncio.wait_for(
                    bus.publish(f"{EVENTS_SUBJECT}.src", msg.to_json(), msg.msg_id), 5)
                acked.add(msg.msg_id)

    publisher = asyncio.create_task(publish_all())
    try:
        await wait_until(lambda: len(acked) >= 500, 60, "500 acknowledged publishes")
        nats_server.kill()
        killed_at = len(acked)
        await asyncio.sleep(1)
        nats_server.start()
        await asyncio.wait_for(publisher, 120)
    finally:
        publisher.cancel()
        await bus.close()

    assert killed_at < total, "the publisher finished before the server was killed"
    ids = [msg_id for msg_id, _ in await stored_messages(nats_server.url, "EVENTS")]
    assert len(ids) == len(set(ids)), "a message is stored twice"
    assert acked - set(ids) == set(), "an acknowledged message was lost"


async def test_harvest_cut_by_kill_9_of_nats_server_completes_after_restart(
    nats_server: NatsServer, bus: Bus, procs: Processes, tmp_path: Path
) -> None:
    total = 3000
    async with feed_server() as feeds:
        feeds.bodies["big.ics"] = calendar(total, "big")
        sources = sources_file(tmp_path, {"big": feeds.url("big.ics")})
        await create_jobs_consumer(bus, ack_wait_s=3)
        env = {"MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_SOURCES": str(sources),
               "MAILLAGE_ALLOW_PRIVATE": "true", "MAILLAGE_DATA_DIR": str(tmp_path / "h"),
               "MAILLAGE_SCHEDULER_TICK": "0.5", "MAILLAGE_JOB_ACK_WAIT": "3"}
        harvester = procs.start("services.harvester", env, "harvester")

        async def events_stored() -> int:
            with contextlib.suppress(Exception):
                return (await bus.js.stream_info("EVENTS")).state.messages
            return -1

        async def some_published() -> bool:
            return await events_stored() >= 100

        await wait_until(some_published, 60, "the harvest to start publishing", every=0.02)
        nats_server.kill()
        await asyncio.sleep(1)
        nats_server.start()
        restarted = False

        async def complete() -> bool:
            nonlocal harvester, restarted
            if harvester.poll() is not None:  # as `maillage run` or Kubernetes would
                harvester = procs.start("services.harvester", env, "harvester")
                restarted = True
            return await events_stored() >= total

        await wait_until(complete, 120, "every event of the calendar in the stream", every=0.5)

        async def status_ok() -> bool:
            records = await stored_messages(nats_server.url, "STATUS")
            return any(json.loads(data)["ok"] for _, data in records)

        await wait_until(status_ok, 60, "a successful harvest status")

    stored = await stored_messages(nats_server.url, "EVENTS")
    event_ids = [json.loads(data)["event_id"] for _, data in stored]
    assert len(event_ids) == total, f"{len(event_ids)} messages for {total} events"
    assert len(set(event_ids)) == total
    print(f"harvester restarted after the NATS outage: {restarted}")
