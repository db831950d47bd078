"""A funder's feed (kind = "calls") travels harvester -> CALLS stream -> calls indexer ->
call store, and a call removed from the feed is withdrawn."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.harvester.fetcher import Fetcher
from services.harvester.service import fetch_config
from services.harvester.settings import SETTINGS
from services.harvester.sources import Source
from services.harvester.state import SourceState
from services.harvester.worker import Harvester
from services.indexer.calls_consumer import CallsIndexer
from shared.settings import load
from shared.store.calls_sqlite import CallQuery, CallStore

pytestmark = pytest.mark.integration

DEADLINE = (date.today() + timedelta(days=40)).isoformat()


def aid(i: int, name: str) -> dict:
    return {"id": i, "name": name, "submission_deadline": DEADLINE,
            "financers": ["Ville de Rennes"], "is_call_for_project": True}


async def test_harvested_calls_are_searchable_and_withdrawn(bus, feed_server, tmp_path: Path):
    body = {"results": [aid(1, "Fonds d'initiatives associatives"), aid(2, "Budget citoyen")]}
    url = feed_server.put("aids.json", json.dumps(body), "application/json")
    settings = load(SETTINGS, {"MAILLAGE_ALLOW_PRIVATE": "true"})
    fetcher = Fetcher(fetch_config(settings))
    harvester = Harvester(settings, bus, fetcher)
    store = CallStore(tmp_path / "calls.sqlite")
    task = asyncio.create_task(CallsIndexer(bus, store, batch_size=16).run(idle_timeout=0.2))
    source = Source("ville-rennes", url, kind="calls")
    state = SourceState()

    async def titles() -> set[str]:
        page = await store.search(CallQuery(now=datetime.now(UTC)))
        return {c["title"] for c in page.items}

    async def wait_for(expected: set[str]) -> None:
        for _ in range(200):
            if await titles() == expected:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"calls are {await titles()}, expected {expected}")

    try:
        status = await harvester.harvest(source, state)
        assert status.ok and status.new == 2
        await wait_for({"Fonds d'initiatives associatives", "Budget citoyen"})
        feed_server.put("aids.json", json.dumps({"results": [aid(2, "Budget citoyen")]}),
                        "application/json")
        status = await harvester.harvest(source, state)
        assert status.removed == 1
        await wait_for({"Budget citoyen"})
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await harvester.close()
        await fetcher.close()
