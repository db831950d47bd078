"""A harvester replica killed (``kill -9``) in the middle of a job: another replica harvests
the source. The job was never acked, so the JOBS work queue redelivers it after ``ack_wait``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.bus import Bus
from shared.natsserver import NatsServer
from tests.integration.faults.feeds import calendar, feed_server, sources_file
from tests.integration.faults.procs import Processes, wait_until
from tests.integration.faults.streams import create_jobs_consumer, stored_messages

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_source_held_by_a_killed_replica_is_harvested_by_another(
    nats_server: NatsServer, bus: Bus, procs: Processes, tmp_path: Path
) -> None:
    async with feed_server() as feeds:
        feeds.bodies["club.ics"] = calendar(5, "club")
        feeds.hold.add("club.ics")  # the first fetch hangs: replica A is mid-job
        sources = sources_file(tmp_path, {"club": feeds.url("club.ics")})
        await create_jobs_consumer(bus, ack_wait_s=3)
        env = {"MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_SOURCES": str(sources),
               "MAILLAGE_ALLOW_PRIVATE": "true", "MAILLAGE_SCHEDULER_TICK": "0.5",
               "MAILLAGE_JOB_ACK_WAIT": "3"}
        replica_a = procs.start("services.harvester", {**env, "MAILLAGE_DATA_DIR": str(
            tmp_path / "a")}, "harvester-a")
        await wait_until(lambda: feeds.hits.get("club.ics", 0) >= 1, 60,
                         "replica A to start fetching the source")
        replica_b = procs.start("services.harvester", {**env, "MAILLAGE_DATA_DIR": str(
            tmp_path / "b")}, "harvester-b")
        procs.kill9(replica_a)

        async def harvested() -> bool:
            records = await stored_messages(nats_server.url, "STATUS")
            return any(json.loads(data)["ok"] for _, data in records)

        await wait_until(harvested, 60, "another replica to harvest the source", every=0.3)
        assert replica_b.poll() is None
        assert feeds.hits["club.ics"] >= 2

    events = [json.loads(data) for _, data in await stored_messages(nats_server.url, "EVENTS")]
    assert sorted(e["event"]["source_uid"] for e in events) == [
        f"club-{i}@tests" for i in range(5)]
    info = await bus.js.consumer_info("JOBS", "harvesters")
    assert info.num_ack_pending == 0  # the redelivered job was acked by replica B
