"""The harvester and the indexer serve /metrics on MAILLAGE_METRICS_PORT, with their numbers
(harvest durations and status codes, events published, index writes, consumer lag)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from services.harvester.settings import SETTINGS as HARVESTER_SETTINGS
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from shared.bus import Bus
from shared.natsserver import NatsServer, free_port
from tests.integration.faults.feeds import calendar, feed_server, sources_file
from tests.integration.faults.procs import Processes, wait_until

WIRED = all(any(s.name == "MAILLAGE_METRICS_PORT" for s in table)
            for table in (HARVESTER_SETTINGS, INDEXER_SETTINGS))

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(120),
    pytest.mark.skipif(not WIRED, reason="METRICS_SETTINGS not yet in the harvester/indexer"),
]


async def test_harvester_and_indexer_export_their_metrics(
    nats_server: NatsServer, bus: Bus, procs: Processes, tmp_path: Path
) -> None:
    ports = {"harvester": free_port(), "indexer": free_port()}
    texts: dict[str, str] = {}
    async with feed_server() as feeds, aiohttp.ClientSession() as http:
        feeds.bodies["club.ics"] = calendar(4, "club")
        common = {"MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_DATA_DIR": str(tmp_path),
                  "MAILLAGE_SOURCES": str(sources_file(tmp_path, {"club": feeds.url("club.ics")}))}
        procs.start("services.harvester", {**common, "MAILLAGE_ALLOW_PRIVATE": "true",
                                           "MAILLAGE_SCHEDULER_TICK": "0.5",
                                           "MAILLAGE_METRICS_PORT": str(ports["harvester"])},
                    "harvester")
        procs.start("services.indexer", {**common, "MAILLAGE_METRICS_PORT": str(ports["indexer"])},
                    "indexer")

        async def scraped(name: str, needle: str) -> bool:
            try:
                async with http.get(f"http://127.0.0.1:{ports[name]}/metrics") as resp:
                    texts[name] = await resp.text()
            except aiohttp.ClientError:
                return False
            return needle in texts[name]

        await wait_until(lambda: scraped("harvester", 'maillage_fetch_responses_total{code="200"}'),
                         60, "the harvester's fetch counter")
        await wait_until(lambda: scraped("indexer", 'maillage_index_messages_total{outcome='),
                         60, "the indexer's write counter")
        await wait_until(lambda: scraped("indexer", "maillage_consumer_pending{"), 60,
                         "the indexer's lag gauge")

    assert 'maillage_events_published_total{kind="upsert"} 4.0' in texts["harvester"]
    assert "maillage_harvest_duration_seconds_bucket" in texts["harvester"]
    assert "maillage_index_write_duration_seconds_count" in texts["indexer"]
