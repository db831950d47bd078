"""The monitor lists the registry's sources (not a file): a source added with the CLI shows
before its first harvest, and a removed one leaves the dashboard."""

from __future__ import annotations

import pytest

from services.harvester.registry import SourceRegistry
from services.harvester.sources import Source
from services.monitor.backlog import BusHealth, poll
from services.monitor.tracker import Tracker
from shared.bus import Bus

pytestmark = pytest.mark.integration


async def test_the_monitor_follows_the_registry(bus: Bus) -> None:
    registry = SourceRegistry(bus)
    await registry.add(Source("velo", "https://velo.example/a.ics", interval=7200), actor="t")
    await registry.add(Source("off", "https://off.example/a.ics", enabled=False), actor="t")
    tracker, health = Tracker(), BusHealth()
    await poll(bus, tracker, health)
    rows = {r["source_id"]: r for r in tracker.summary()}
    assert set(rows) == {"velo", "off"} and health.error is None
    assert (rows["velo"]["state"], rows["off"]["state"]) == ("unknown", "disabled")
    await registry.remove("off", actor="t")
    await poll(bus, tracker, health)
    assert [r["source_id"] for r in tracker.summary()] == ["velo"]
