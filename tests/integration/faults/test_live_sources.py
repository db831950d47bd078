"""The registry of sources with real processes: two harvester replicas on one nats-server, the
``maillage`` command in a subprocess, a loopback feed server counting hits.

A source added by the CLI is harvested exactly once within seconds, by one of the replicas,
without restarting them; once disabled it is not harvested again, not even for a job that was
already queued.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from services.harvester.scheduler import enqueue
from shared.bus import Bus
from shared.natsserver import NatsServer
from tests.conftest import FeedServer
from tests.integration.faults.procs import Processes, wait_until
from tests.integration.faults.streams import stored_messages
from tests.integration.test_scheduler import calendar

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TICK = 0.3
async def maillage(nats_url: str, *argv: str) -> str:
    """Run the ``maillage`` command as an operator would, in its own process."""
    env = {**os.environ, "MAILLAGE_NATS_URL": nats_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *argv, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def test_a_source_added_by_the_cli_is_harvested_once_then_disabled_for_good(
    nats_server: NatsServer, bus: Bus, procs: Processes, feed_server: FeedServer, tmp_path: Path
) -> None:
    env = {"MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_ALLOW_PRIVATE": "true",
           "MAILLAGE_SOURCES": str(tmp_path / "no-such-file.toml"),
           "MAILLAGE_SCHEDULER_TICK": str(TICK), "MAILLAGE_MIN_INTERVAL": "1",
           "MAILLAGE_DATA_DIR": str(tmp_path / "h")}
    for name in ("replica-a", "replica-b"):
        procs.start("services.harvester", env, name)
    await wait_until(lambda: all("harvester started" in procs.log(n)
                                 for n in ("replica-a", "replica-b")), 60, "both replicas")

    slow = feed_server.put("slow.ics", calendar("slow"), "text/calendar")
    print(await maillage(nats_server.url, "sources", "add", "slow", slow, "--interval", "3600"))
    await wait_until(lambda: feed_server.hits.get("/slow.ics") == 1, 15, "the first harvest")
    await asyncio.sleep(10 * TICK)  # ten more ticks of both replicas
    assert feed_server.hits["/slow.ics"] == 1, "harvested twice"

    async def statuses(source_id: str) -> list[dict[str, object]]:
        records = await stored_messages(nats_server.url, "STATUS")
        return [s for s in (json.loads(d) for _, d in records) if s["source_id"] == source_id]

    await wait_until(lambda: statuses("slow"), 10, "the harvest's status record")
    assert len(await statuses("slow")) == 1

    # A source due every second is harvested again and again ... until it is disabled.
    fast = feed_server.put("fast.ics", calendar("fast"), "text/calendar")
    await maillage(nats_server.url, "sources", "add", "fast", fast, "--interval", "1")
    await wait_until(lambda: feed_server.hits.get("/fast.ics", 0) >= 3, 30, "three harvests")
    await maillage(nats_server.url, "sources", "disable", "fast")
    at_disable = feed_server.hits["/fast.ics"]
    await asyncio.sleep(2)
    settled = feed_server.hits["/fast.ics"]
    assert settled <= at_disable + 1, "harvested after it was disabled"  # one already running
    # ... and a job queued before the disable is dropped, not harvested.
    await maillage(nats_server.url, "sources", "disable", "slow")
    assert await enqueue(bus, "slow", slot=42)
    assert await enqueue(bus, "fast", slot=42)
    await asyncio.sleep(12 * TICK)
    assert (feed_server.hits["/fast.ics"], feed_server.hits["/slow.ics"]) == (settled, 1)
    jobs = await bus.js.stream_info("JOBS")
    assert jobs.state.messages == 0, "the dropped jobs stay queued"
    listing = json.loads(await maillage(nats_server.url, "sources", "list", "--json"))
    assert {r["id"]: r["status"] for r in listing} == {"fast": "disabled", "slow": "disabled"}


def start_replicas(procs: Processes, nats_server: NatsServer, sources: Path,
                   tmp_path: Path) -> None:
    """Two harvester replicas bringing in the sources file ``sources``."""
    env = {"MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_ALLOW_PRIVATE": "true",
           "MAILLAGE_SOURCES": str(sources), "MAILLAGE_SCHEDULER_TICK": str(TICK),
           "MAILLAGE_DATA_DIR": str(tmp_path / "h")}
    for name in ("replica-a", "replica-b"):
        procs.start("services.harvester", env, name)


async def test_an_edit_of_the_sources_file_reaches_the_running_replicas(
    nats_server: NatsServer, bus: Bus, procs: Processes, feed_server: FeedServer, tmp_path: Path
) -> None:
    first = feed_server.put("first.ics", calendar("first"), "text/calendar")
    second = feed_server.put("second.ics", calendar("second"), "text/calendar")
    path = tmp_path / "sources.toml"
    table = '[[sources]]\nid = "{0}"\nurl = "{1}"\ninterval = 3600\n\n'
    path.write_text(table.format("first", first))
    start_replicas(procs, nats_server, path, tmp_path)
    await wait_until(lambda: feed_server.hits.get("/first.ics") == 1, 30, "the file's source")

    path.write_text(table.format("first", first) + table.format("second", second))
    await wait_until(lambda: feed_server.hits.get("/second.ics") == 1, 15, "the added source")
    path.write_text(table.format("second", second))  # "first" leaves the file

    async def first_removed() -> bool:
        listing = json.loads(await maillage(nats_server.url, "sources", "list", "--json"))
        return [r["id"] for r in listing] == ["second"]

    await wait_until(first_removed, 15, "the source removed from the file to leave the registry")
    await asyncio.sleep(10 * TICK)
    assert (feed_server.hits["/first.ics"], feed_server.hits["/second.ics"]) == (1, 1)
    logs = procs.log("replica-a") + procs.log("replica-b")
    assert logs.count("lease taken") == 1, "both replicas bring the file in"


async def test_a_source_whose_address_changed_is_harvested_at_the_next_tick_once(
    nats_server: NatsServer, procs: Processes, feed_server: FeedServer, tmp_path: Path
) -> None:
    """An operator fixes the address of a source in the sources file: the new address is
    fetched within a tick by one replica, not at the source's next check an hour (or, after
    failures, hours) later; and not twice."""
    old = feed_server.put("old.ics", calendar("moved"), "text/calendar")
    new = feed_server.put("new.ics", calendar("moved"), "text/calendar")
    path = tmp_path / "sources.toml"
    table = '[[sources]]\nid = "moved"\nurl = "{0}"\ninterval = 3600\n'
    path.write_text(table.format(old))
    start_replicas(procs, nats_server, path, tmp_path)
    await wait_until(lambda: feed_server.hits.get("/old.ics") == 1, 30, "the first harvest")
    await asyncio.sleep(5 * TICK)

    path.write_text(table.format(new))
    await wait_until(lambda: feed_server.hits.get("/new.ics") == 1, 15, "the new address")
    await asyncio.sleep(10 * TICK)  # ten more ticks of both replicas
    assert (feed_server.hits["/old.ics"], feed_server.hits["/new.ics"]) == (1, 1)
