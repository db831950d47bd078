"""A harvester replica for the tests of this directory, closed (parser processes included)
when the test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from services.harvester.fetcher import Fetcher
from services.harvester.service import fetch_config
from services.harvester.settings import SETTINGS
from services.harvester.worker import Harvester
from shared.bus import Bus
from shared.settings import load


@pytest.fixture
async def make_harvester(bus: Bus) -> AsyncIterator[Callable[..., Harvester]]:
    made: list[tuple[Harvester, Fetcher]] = []

    def make(**env: str) -> Harvester:
        settings = load(SETTINGS, {"MAILLAGE_ALLOW_PRIVATE": "true", **env})
        fetcher = Fetcher(fetch_config(settings))
        harvester = Harvester(settings, bus, fetcher)
        made.append((harvester, fetcher))
        return harvester

    yield make
    for harvester, fetcher in made:
        await harvester.close()
        await fetcher.close()
