"""One event travels harvester -> NATS JetStream -> indexer -> SQLite -> query API.

Real nats-server, real loopback HTTP servers (the feeds and the query API), real SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from services.harvester.fetcher import Fetcher
from services.harvester.service import fetch_config
from services.harvester.settings import SETTINGS as HARVESTER_SETTINGS
from services.harvester.sources import Source
from services.harvester.state import SourceState
from services.harvester.worker import Harvester
from services.indexer.consumer import Indexer
from services.indexer.service import make_enricher
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from services.query.app import create_app
from services.query.settings import SETTINGS as QUERY_SETTINGS
from shared.bus import Bus
from shared.settings import load
from shared.store.sqlite import SqliteStore

pytestmark = pytest.mark.integration

DAY = date.today() + timedelta(days=3)


def ics(*events: tuple[str, str, int]) -> str:
    """A calendar of (uid, summary, hour) events on DAY, in Europe/Paris."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//FR", "X-WR-TIMEZONE:Europe/Paris"]
    for uid, summary, hour in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID=Europe/Paris:{DAY:%Y%m%d}T{hour:02d}0000",
            f"DTEND;TZID=Europe/Paris:{DAY:%Y%m%d}T{hour + 1:02d}0000",
            f"SUMMARY:{summary}",
            "LOCATION:Les Champs Libres\\, 10 cours des Alliés\\, Rennes",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


WEEKLY = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//FR\r
BEGIN:VEVENT\r
UID:weekly-repair\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Paris:{day}T140000\r
DTEND;TZID=Europe/Paris:{day}T170000\r
RRULE:FREQ=WEEKLY;COUNT=4\r
SUMMARY:Atelier de réparation vélo\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.fixture
async def stack(
    bus: Bus, tmp_path: Path
) -> AsyncIterator[tuple[Harvester, SqliteStore, aiohttp.ClientSession, str]]:
    harvester_settings = load(HARVESTER_SETTINGS, {"MAILLAGE_ALLOW_PRIVATE": "true"})
    fetcher = Fetcher(fetch_config(harvester_settings))
    harvester = Harvester(harvester_settings, bus, fetcher)
    store = SqliteStore(tmp_path / "index.sqlite")
    enricher = make_enricher(load(INDEXER_SETTINGS, {}))
    indexer = Indexer(bus, store, enricher.enrich, batch_size=64)
    task = asyncio.create_task(indexer.run(idle_timeout=0.2))
    server = TestServer(create_app(load(QUERY_SETTINGS, {}), SqliteStore(store.path)),
                        host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    try:
        yield harvester, store, session, str(server.make_url("/"))
    finally:
        await session.close()
        await server.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await harvester.close()
        await fetcher.close()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    """Wait until ``check()`` holds (a bounded wait, not a timing assertion)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def titles(session: aiohttp.ClientSession, base: str, **params: str) -> list[str]:
    async with session.get(base + "v1/events", params=params) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    return [item["title"] for item in body["items"]]


async def test_event_travels_from_feed_to_query_api(stack, feed_server) -> None:
    harvester, store, session, base = stack
    url = feed_server.put("assoc/agenda.ics", ics(("a1", "Concert de chorale", 20)),
                          "text/calendar")
    status = await harvester.harvest(Source("chorale", url, organizer="Chorale"), SourceState())
    assert status.ok and status.new == 1

    async def indexed() -> bool:
        return await store.count() == 1

    await eventually(indexed)
    assert await titles(session, base) == ["Concert de chorale"]
    assert await titles(session, base, q="chorale") == ["Concert de chorale"]
    assert await titles(session, base, q="vélo") == []


async def test_recurring_event_is_indexed_as_occurrences_of_one_event(stack, feed_server) -> None:
    harvester, store, session, base = stack
    url = feed_server.put("velo.ics", WEEKLY.format(day=f"{DAY:%Y%m%d}"), "text/calendar")
    await harvester.harvest(Source("velo", url), SourceState())

    async def four() -> bool:
        return await store.count() == 4

    await eventually(four)
    async with session.get(base + "v1/events") as resp:
        items = (await resp.json())["items"]
    assert len({i["id"] for i in items}) == 4
    assert len({i["event_id"] for i in items}) == 1
    async with session.get(base + f"v1/events/{items[0]['id']}") as resp:
        detail = await resp.json()
    assert len(detail["occurrences"]) == 3


async def test_event_added_to_source_appears_after_next_harvest(stack, feed_server) -> None:
    harvester, store, session, base = stack
    source = Source("assoc", feed_server.put("a.ics", ics(("a1", "Atelier couture", 10)),
                                             "text/calendar"))
    state = SourceState()
    await harvester.harvest(source, state)
    feed_server.put("a.ics", ics(("a1", "Atelier couture", 10), ("a2", "Repair café", 14)),
                    "text/calendar")
    status = await harvester.harvest(source, state)
    assert (status.new, status.changed) == (1, 0)

    async def both() -> bool:
        return await store.count() == 2

    await eventually(both)
    assert await titles(session, base) == ["Atelier couture", "Repair café"]


async def test_event_removed_from_source_is_retracted(stack, feed_server) -> None:
    harvester, store, session, base = stack
    source = Source("assoc", feed_server.put(
        "a.ics", ics(("a1", "Atelier couture", 10), ("a2", "Repair café", 14)), "text/calendar"))
    state = SourceState()
    await harvester.harvest(source, state)
    feed_server.put("a.ics", ics(("a2", "Repair café", 14)), "text/calendar")
    status = await harvester.harvest(source, state)
    assert status.removed == 1

    async def one_left() -> bool:
        return await titles(session, base) == ["Repair café"]

    await eventually(one_left)


async def test_broken_feed_keeps_previous_events(stack, feed_server) -> None:
    harvester, store, session, base = stack
    source = Source("assoc", feed_server.put("a.ics", ics(("a1", "Atelier couture", 10)),
                                             "text/calendar"))
    state = SourceState()
    await harvester.harvest(source, state)

    async def indexed() -> bool:
        return await store.count() == 1

    await eventually(indexed)
    feed_server.put("a.ics", b"<html><body>Maintenance</body></html>", "text/html")
    status = await harvester.harvest(source, state)
    assert not status.ok and status.error_kind
    feed_server.put("a.ics", b"", "text/calendar")
    status = await harvester.harvest(source, state)
    assert not status.ok
    await asyncio.sleep(0.5)  # give the indexer a chance to (wrongly) apply anything
    assert await titles(session, base) == ["Atelier couture"]
    assert state.published  # what was published is still remembered


async def test_unchanged_source_publishes_nothing(stack, feed_server, bus) -> None:
    harvester, store, session, base = stack
    source = Source("assoc", feed_server.put("a.ics", ics(("a1", "Atelier", 10)), "text/calendar"))
    state = SourceState()
    await harvester.harvest(source, state)
    before = (await bus.js.stream_info("EVENTS")).state.messages
    status = await harvester.harvest(source, state)
    assert status.ok and status.new == status.changed == status.removed == 0
    assert (await bus.js.stream_info("EVENTS")).state.messages == before


PLACES = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//FR\r
BEGIN:VEVENT\r
UID:pace\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Paris:{day}T200000\r
SUMMARY:Loto du comité des fêtes\r
LOCATION:Salle des fêtes de Pacé\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:malo\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Paris:{day}T180000\r
SUMMARY:Meetup Python : typage statique avec mypy\r
LOCATION:Quai Saint-Cast\\, Saint-Malo\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def test_places_and_themes_as_associations_write_them(stack, feed_server) -> None:
    """A commune named only in the text is placed at commune level, shown as an area; a town
    outside the Métropole whose street is also a Rennes street gets no Rennes quartier."""
    harvester, store, session, base = stack
    url = feed_server.put("places.ics", PLACES.format(day=f"{DAY:%Y%m%d}"), "text/calendar")
    await harvester.harvest(Source("comite", url), SourceState())

    async def two() -> bool:
        return await store.count() == 2

    await eventually(two)
    async with session.get(base + "v1/events", params={"commune": "Pacé"}) as resp:
        (pace,) = (await resp.json())["items"]
    loc = pace["location"]
    assert (loc["commune"], loc["quartier"], loc["precision"]) == ("Pacé", None, "commune")
    assert loc["lat"] is not None  # the commune's centroid, for the map's area and filters
    async with session.get(base + "v1/events", params={"q": "mypy"}) as resp:
        (malo,) = (await resp.json())["items"]
    assert (malo["location"]["quartier"], malo["location"]["lat"]) == (None, None)
    assert "Saint-Malo" in malo["location"]["reason"]
    assert malo["themes"] == ["numerique"]

    async with session.get(base + "v1/events.ics", params={"commune": "Pacé"}) as resp:
        assert "GEO:" not in await resp.text()  # no exact point to export
    async with session.get(base + "v1/events.jsonld", params={"commune": "Pacé"}) as resp:
        assert "GeoCoordinates" not in await resp.text()
    async with session.get(base + f"evenement/{pace['id']}") as resp:
        page = await resp.text()
    assert "lieu précis non communiqué" in page and "voir la commune sur une carte" in page
    assert "mlat=" not in page  # no marker on a false place
    async with session.get(base, params={"vue": "carte"}) as resp:
        page = await resp.text()
    assert '"commune_only": true' in page and "quelque part dans la commune" in page


def openagenda(day: str) -> str:
    """An OpenAgenda page whose event says its subject only in its keywords."""
    return json.dumps({
        "total": 1,
        "events": [{
            "uid": 9001,
            "title": {"fr": "La nuit des morts-vivants"},
            "keywords": {"fr": ["Théâtre", "Humour"]},
            "timings": [{"begin": f"{day}T20:30:00+01:00", "end": f"{day}T22:00:00+01:00"}],
            "location": {"name": "Salle du conseil", "address": "mairie de Chantepie"},
        }],
    })


FIXTURE = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//FR\r
BEGIN:VEVENT\r
UID:fixture-r2\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Paris:{day}T150000\r
SUMMARY:US Vern – AS Chantepie (R2)\r
LOCATION:8 rue Legraverend Rennes\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def test_keywords_fixtures_and_places_as_the_blind_evaluation_found_them(
    stack, feed_server
) -> None:
    """Issue 16, second round: a source's keywords give the theme, a fixture named by its
    teams is sport, a street with its town and no comma and a town hall named with other
    words are placed at their point."""
    harvester, store, session, base = stack
    oa = feed_server.put("oa/events.json", openagenda(f"{DAY:%Y-%m-%d}"), "application/json")
    ics_url = feed_server.put("club.ics", FIXTURE.format(day=f"{DAY:%Y%m%d}"), "text/calendar")
    await harvester.harvest(Source("agenda", oa), SourceState())
    await harvester.harvest(Source("club", ics_url), SourceState())

    async def two() -> bool:
        return await store.count() == 2

    await eventually(two)
    async with session.get(base + "v1/events", params={"theme": "culture"}) as resp:
        (play,) = (await resp.json())["items"]
    assert play["title"] == "La nuit des morts-vivants" and play["themes"] == ["culture"]
    loc = play["location"]
    assert (loc["commune"], loc["precision"]) == ("Chantepie", "venue")
    async with session.get(base + "v1/events", params={"theme": "sport"}) as resp:
        (match,) = (await resp.json())["items"]
    assert match["themes"] == ["sport"]
    loc = match["location"]
    assert (loc["commune"], loc["quartier"], loc["precision"]) == ("Rennes", "Centre", "street")
