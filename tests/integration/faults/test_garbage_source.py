"""A source that starts returning garbage: its previous events stay in the index, its state
turns ``failing``, and the monitor's dashboard says why, in French.

Real processes: harvester, indexer and monitor against one nats-server; the second harvest is
requested through the monitor's "harvest now" endpoint.
"""

from __future__ import annotations

import base64
import html
import json
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from shared.bus import Bus
from shared.natsserver import NatsServer, free_port
from tests.integration.faults.feeds import calendar, feed_server, sources_file
from tests.integration.faults.procs import Processes, wait_until
from tests.integration.faults.streams import stored_messages

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

GARBAGE = b"\x00\x9f<<<%PDF-1.4 ceci n'est pas un calendrier>>>\xff\xfe" * 20


def indexed(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=5)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM docs WHERE source_id = 'asso'")
                   .fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


async def test_garbage_keeps_previous_events_and_the_dashboard_says_why(
    nats_server: NatsServer, bus: Bus, procs: Processes, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    token = base64.b64encode(b"operateur:mot-de-passe-de-test").decode()
    auth = {"Authorization": f"Basic {token}"}
    db = tmp_path / "data" / "index.sqlite"
    async with feed_server() as feeds, aiohttp.ClientSession(headers=auth) as http:
        feeds.bodies["asso.ics"] = calendar(3, "asso")
        sources = sources_file(tmp_path, {"asso": feeds.url("asso.ics")})
        common = {"MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_SOURCES": str(sources),
                  "MAILLAGE_DATA_DIR": str(tmp_path / "data")}
        procs.start("services.harvester", {**common, "MAILLAGE_ALLOW_PRIVATE": "true",
                                           "MAILLAGE_SCHEDULER_TICK": "0.5"}, "harvester")
        procs.start("services.indexer", {**common, "MAILLAGE_BATCH_SIZE": "10"}, "indexer")
        procs.start("services.monitor", {
            **common, "MAILLAGE_MONITOR_PORT": str(port), "MAILLAGE_MONITOR_POLL": "1",
            "MAILLAGE_MONITOR_PASSWORD": "mot-de-passe-de-test"}, "monitor")

        async def source() -> dict[str, Any]:
            try:
                async with http.get(f"{base}/v1/sources/asso") as resp:
                    return await resp.json() if resp.status == 200 else {}
            except aiohttp.ClientError:
                return {}

        async def state_is(wanted: str) -> bool:
            return (await source()).get("state") == wanted

        await wait_until(lambda: state_is("ok"), 60, "a first good harvest", every=0.3)
        await wait_until(lambda: indexed(db) == 3, 60, "the 3 events indexed")

        feeds.bodies["asso.ics"] = GARBAGE
        async with http.post(f"{base}/v1/sources/asso/harvest",
                             headers={"Origin": base}) as resp:
            assert resp.status == 202
        await wait_until(lambda: state_is("failing"), 60, "the source to turn failing",
                         every=0.3)

        row = await source()
        async with http.get(f"{base}/?etat=failing") as resp:
            dashboard = html.unescape(await resp.text())
        async with http.get(f"{base}/source/asso") as resp:
            page = html.unescape(await resp.text())
        async with aiohttp.ClientSession() as anonymous, anonymous.get(base + "/") as resp:
            assert resp.status == 401

    assert row["events"] == 3  # the count of the last good harvest is kept
    assert row["last_error"]["kind"] == "parse"
    why = "Le document reçu n’est pas un calendrier lisible"
    assert why in row["reasons"][0]
    assert why in dashboard and "en échec" in dashboard
    assert why in page and row["last_error"]["detail"] in page
    assert indexed(db) == 3  # the previous events stay searchable
    kinds = [json.loads(d)["kind"] for _, d in await stored_messages(nats_server.url, "EVENTS")]
    assert kinds == ["upsert"] * 3  # nothing was retracted
