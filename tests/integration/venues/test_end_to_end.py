"""Venues end to end: a real nats-server, the real indexer's board consumer (the board
domains as declared, the venues' projection among them) and the real site. A venue added
through the form and its slot published there are found by ``/v1/venues`` and on
``/salles`` ("free on" that day); once a request on that slot is accepted, the venue is no
longer free that day."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest

from services.indexer.board_consumer import BoardIndexer
from services.query.context import SETTINGS
from shared.bus import Bus
from shared.store.board_sqlite import SqliteBoard
from shared.store.factory import board_sqlite_path

from .conftest import Site
from .test_site import VENUE_FORM, ask, member

pytestmark = pytest.mark.integration
DAY = date.today() + timedelta(days=12)


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    try:
        async with asyncio.timeout(30):
            while not await check():  # noqa: ASYNC110 - polling the site
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"never: {what}") from None


async def api(site: Site, query: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(f"{site.url}/v1/venues?{query}") as r:
        assert r.status == 200, await r.text()
        return await r.json()


@pytest.fixture
async def indexer(site: Site, bus: Bus) -> AsyncIterator[None]:
    """The indexer's board consumer, writing the board file the site reads."""
    board = SqliteBoard(board_sqlite_path(site.app[SETTINGS]))
    task = asyncio.create_task(BoardIndexer(bus, board, None, batch_size=16).run(
        idle_timeout=0.2))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await board.close()


async def test_a_venue_written_on_the_site_is_found_through_the_board(
        site: Site, indexer: None, browser) -> None:
    owner = await member(site, browser, "jo@velo-solidaire.test", "velo-solidaire")
    resp = await owner.post("/salles/nouvelle", VENUE_FORM, token_from="/salles/nouvelle")
    assert resp.url.path == "/salles/le-local-du-quai/gerer"
    await owner.post("/salles/le-local-du-quai/creneaux",
                     {"date": DAY.isoformat(), "start": "14:00", "end": "17:00"},
                     token_from="/salles/le-local-du-quai/gerer")

    async def free_that_day() -> bool:
        found = await api(site, f"free_on={DAY}&q=quai")
        return [i["id"] for i in found["items"]] == ["le-local-du-quai"]

    await until(free_that_day, "the venue found free that day")
    found = (await api(site, "q=chateaubriand&max_price=20&equipment=wifi"))["items"]
    assert [i["name"] for i in found] == ["Le local du quai"]
    status, html = await owner.get(f"/salles?libre_le={DAY}&q=quai")
    assert status == 200 and "Le local du quai" in html


async def test_a_booked_slot_leaves_the_board_and_its_day(
        site: Site, indexer: None, browser) -> None:
    owner = await member(site, browser, "jo@velo-solidaire.test", "velo-solidaire")
    await owner.post("/salles/nouvelle", VENUE_FORM, token_from="/salles/nouvelle")
    await owner.post("/salles/le-local-du-quai/creneaux",
                     {"date": DAY.isoformat(), "start": "14:00", "end": "17:00"},
                     token_from="/salles/le-local-du-quai/gerer")

    async def free_that_day() -> bool:
        return (await api(site, f"free_on={DAY}&q=quai"))["total"] == 1

    await until(free_that_day, "the venue found free that day")
    asker = await member(site, browser, "max@jardins-blosne.test", "jardins-blosne")
    await ask(asker, "le-local-du-quai", "jardins-blosne")
    status, html = await owner.get("/salles/le-local-du-quai/gerer")
    booking = re.search(r'name="booking" value="([^"]+)"', html)
    assert booking, html
    await owner.post("/salles/le-local-du-quai/demandes",
                     {"booking": booking.group(1), "action": "accept"},
                     token_from="/salles/le-local-du-quai/gerer")

    async def booked() -> bool:
        return (await api(site, f"free_on={DAY}&q=quai"))["total"] == 0

    await until(booked, "the venue no longer free once booked")
    assert (await api(site, "q=quai"))["total"] == 1  # the venue itself stays listed
