"""The real services on the Elasticsearch stores, end to end, against the stand-in node.

A real nats-server; ``python -m services.indexer`` (twice: compose runs two) and ``python -m
services.query`` as processes with ``MAILLAGE_STORE=elasticsearch`` and ``ELASTICSEARCH_URL``
pointing at the stand-in node of the unit tests (``fake_elastic``, refreshing every 0.2 s as
``refresh_interval`` does); events and calls published on their streams; the answers read
through the query service's HTTP API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from shared.bus import EVENTS_SUBJECT, Bus, subject_token
from shared.calls import Call, CallMessage, calls_subject
from shared.natsserver import NatsServer, free_port
from tests.contract.conftest import Factory
from tests.integration.faults.procs import Processes, wait_until
from tests.unit.store.fake_elastic import running

pytestmark = pytest.mark.integration


async def get(port: int, path: str) -> Any:
    # async: the stand-in node answers the query service from this test's event loop
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(total=10)) as resp:
        return await resp.json()


async def test_indexers_and_query_service_on_elasticsearch(nats_server: NatsServer, bus: Bus,
                                                           tmp_path: Path) -> None:
    make = Factory()
    events = [make.event("a", "Concert de la chorale", source="ics", themes=("musique",)),
              make.event("a", "Concert chorale", source="rss", minute=15,
                         source_format="rss", themes=("musique",)),
              make.event("b", "Atelier de réparation vélo", hour=10, keywords=("vélo",))]
    for ev in events:
        msg = make.upsert(ev)
        await bus.publish(f"{EVENTS_SUBJECT}.{subject_token(ev.source_id)}", msg.to_json(),
                          msg.msg_id)
    deadline = datetime.now(UTC) + timedelta(days=20)
    jardins = Call.create(publisher="ville", publisher_id="j1", title="Jardins solidaires",
                          funder="Ville de Rennes", deadline=deadline)
    call_msg = CallMessage.upsert(jardins, 1)
    await bus.publish(calls_subject("ville"), call_msg.to_json(), call_msg.msg_id)

    procs = Processes(tmp_path / "logs")
    async with running(refresh_every_s=0.2) as fake:
        env = {"MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_STORE": "elasticsearch",
               "ELASTICSEARCH_URL": fake.url, "MAILLAGE_ES_INDEX": "e2e-events",
               "MAILLAGE_ES_CALLS_INDEX": "e2e-calls", "MAILLAGE_DATA_DIR": str(tmp_path),
               "MAILLAGE_BATCH_SIZE": "1"}
        port = free_port()
        try:
            procs.start("services.indexer", env, "indexer-1")
            procs.start("services.indexer", env, "indexer-2")
            await wait_until(lambda: "e2e-events" in fake.aliases and len(
                fake.all_docs("e2e-events-events")) == 3 and fake.all_docs("e2e-calls"),
                60, "the indexers' writes")
            procs.start("services.query", {**env, "MAILLAGE_HTTP_PORT": str(port),
                                           "MAILLAGE_MICROCACHE_SECONDS": "0"}, "query")

            async def up() -> bool:
                try:
                    return bool(await get(port, "/healthz"))
                except aiohttp.ClientError:
                    return False

            await wait_until(up, 60, "the query service")
            found = await _eventually(lambda: get(port, "/v1/events?q=chorale"))
            assert [d["title"] for d in found["items"]] == ["Concert de la chorale"]
            assert len(found["items"][0]["sources"]) == 2  # one document for both sources
            assert (await get(port, "/v1/events?q=reparer"))["items"][0]["title"] == (
                "Atelier de réparation vélo")
            suggested = await get(port, "/v1/suggest?q=v%C3%A9l")
            assert {s["kind"] for s in suggested["items"]} == {"keyword", "title"}
            assert {"text": "Atelier de réparation vélo", "kind": "title"} in suggested["items"]
            page = await get(port, "/v1/events/" + found["items"][0]["id"])
            assert page["item"]["title"] == "Concert de la chorale"
            calls = await get(port, "/v1/calls")
            assert [c["title"] for c in calls["items"]] == ["Jardins solidaires"]
        finally:
            procs.stop_all()
        assert "Traceback" not in procs.log("indexer-1") + procs.log("indexer-2")
        assert fake.source("e2e-events-meta", "writer")["owner"] is None  # lease given back


async def _eventually(read: Any) -> Any:
    result: dict[str, Any] = {}

    async def ready() -> bool:
        result["v"] = await read()
        return bool(result["v"]["items"])

    await wait_until(ready, 20, "a search answer")
    return result["v"]
