"""Events indexed before their organizer was linked to an association get its themes without a
reindex: the indexer runs as its own process (``python -m services.indexer``) against a real
nats-server; an operator's link, then a change of the association's themes, reach the events
already in the search store (and the directory shows the organizer as the association's)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.associations.links import ORGANIZER, link_id
from shared.bus import EVENTS_SUBJECT, Bus
from shared.model import Event, EventMessage, Occurrence
from shared.natsserver import NatsServer
from shared.records import Records
from shared.store.directory_sqlite import SqliteDirectory
from shared.store.sqlite import SqliteStore

pytestmark = pytest.mark.integration


def start_indexer(nats: NatsServer, data_dir: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MAILLAGE_NATS_URL": nats.url, "MAILLAGE_DATA_DIR": str(data_dir),
           "MAILLAGE_ENRICH_WORKERS": str(workers), "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "services.indexer"], env=env)


async def until(check: Callable[[], Awaitable[Any]], what: str, within_s: float = 60) -> Any:
    """Poll ``check()`` until it gives something true (a bounded wait, not a timing test)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while not (found := await check()):
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {what}"
        await asyncio.sleep(0.2)
    return found


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "enrichment-workers"])
async def test_a_new_link_and_new_themes_reach_events_already_indexed(
        bus: Bus, nats_server: NatsServer, tmp_path: Path, workers: int) -> None:
    records = Records(bus.js)
    await records.create(records.subject("association", "rec-volley"), {
        "id": "rec-volley", "name": "Rennes Étudiants Club Volley-Ball", "themes": ["011170"],
        "state": "active"}, actor="test")
    event = Event.create(source_id="club", source_uid="j2", title="[M13] Journée 2",
                         organizer="Les Smashers",
                         occurrences=(Occurrence(start=datetime.now(UTC) + timedelta(days=4)),))
    msg = EventMessage.upsert(event, version=1)
    await bus.publish(f"{EVENTS_SUBJECT}.club", msg.to_json(), msg.msg_id)
    data = tmp_path / "data"
    indexer = start_indexer(nats_server, data, workers)
    store: SqliteStore | None = None
    try:
        await until(lambda: asyncio.to_thread((data / "index.sqlite").exists), "the index")
        store = SqliteStore(data / "index.sqlite")

        async def reasons() -> dict[str, str] | None:
            docs = await store.event_docs(event.id)  # type: ignore[union-attr]
            return docs[0]["theme_reasons"] if docs else None

        async def indexed() -> bool:
            return await reasons() is not None

        await until(indexed, "indexed")
        assert await reasons() == {}  # no association names "Les Smashers" yet
        # an operator links the organizer to the club: the indexed event gets its theme
        lid = link_id(ORGANIZER, "Les Smashers")
        await records.create(records.subject("link", lid), {
            "id": lid, "kind": ORGANIZER, "value": "Les Smashers", "links": [],
            "decisions": {"Les Smashers": "rec-volley"}}, actor="operator")

        async def themed(expected: dict[str, str]) -> bool:
            return await reasons() == expected

        await until(lambda: themed({"sport": "association:011170"}), "the link's theme")
        directory = SqliteDirectory(data / "directory.sqlite")
        try:
            async def listed() -> bool:
                await directory.settle()
                doc = await directory.get("rec-volley")
                return doc is not None and "Les Smashers" in doc["organizers"]

            await until(listed, "the organizer in the club's directory entry")
        finally:
            await directory.close()
        # the club declares other themes: the same event follows
        await records.update(records.subject("association", "rec-volley"),
                             lambda r: {**r, "themes": ["culture"]}, actor="test")
        await until(lambda: themed({"culture": "association:culture"}), "the new themes")
    finally:
        indexer.terminate()
        indexer.wait(30)
        if store is not None:
            await store.close()
