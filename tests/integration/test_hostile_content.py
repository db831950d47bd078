"""Hostile sources on loopback, harvested for real: their ``javascript:`` links and their
control characters must reach neither the store nor any page or export.

harvester -> NATS JetStream -> indexers (events and calls) -> SQLite -> query over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
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
from services.indexer.calls_consumer import CallsIndexer
from services.indexer.consumer import Indexer
from services.indexer.service import make_enricher
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from services.query.app import create_app
from services.query.settings import SETTINGS as QUERY_SETTINGS
from shared.bus import Bus
from shared.settings import load
from shared.store.calls_sqlite import CallStore
from shared.store.sqlite import SqliteStore
from tests.integration.test_pipeline import eventually

pytestmark = pytest.mark.integration

DAY = date.today() + timedelta(days=4)
EXPORTS = ("events.rss", "events.ics", "events.jsonld", "events.csv")

OUTBOX = {  # a Mobilizon-like outbox whose event id is a script, not a page
    "type": "OrderedCollection",
    "orderedItems": [{"type": "Create", "object": {
        "type": "Event", "id": "javascript:alert(document.domain)//",
        "name": "Pique-nique\x0b des voisins", "startTime": f"{DAY}T12:00:00+02:00",
        "image": "JavaScript:alert(2)",
    }}],
}
PAGE = """<html><head><script type="application/ld+json">{}</script></head>
<body>Agenda</body></html>""".format(json.dumps({
    "@type": "Event", "name": "Concert\x01 de soutien", "startDate": f"{DAY}T20:00:00+02:00",
    "url": "JaVaScRiPt:alert(1)",  # mixed case got past a case-sensitive check
    "location": {"@type": "Place", "name": "Le Jardin Moderne", "address": "Rennes"},
}))
AIDS = {"results": [{
    "id": 7, "name": "Fonds\x0b pour les jardins", "financers": ["Fondation du Coin"],
    "submission_deadline": (DAY + timedelta(days=30)).isoformat(),
    "is_call_for_project": True, "application_url": " JAVASCRIPT:alert(3)",
}]}


@dataclass
class Stack:
    harvester: Harvester
    events: SqliteStore
    calls: CallStore
    session: aiohttp.ClientSession
    base: str

    async def text(self, path: str) -> str:
        async with self.session.get(self.base + path) as resp:
            assert resp.status == 200, (path, await resp.text())
            return await resp.text()


@pytest.fixture
async def stack(bus: Bus, tmp_path: Path) -> AsyncIterator[Stack]:
    settings = load(HARVESTER_SETTINGS, {"MAILLAGE_ALLOW_PRIVATE": "true"})
    fetcher = Fetcher(fetch_config(settings))
    events = SqliteStore(tmp_path / "index.sqlite")
    calls = CallStore(tmp_path / "calls.sqlite")
    enricher = make_enricher(load(INDEXER_SETTINGS, {}))
    tasks = [asyncio.create_task(Indexer(bus, events, enricher.enrich).run(idle_timeout=0.2)),
             asyncio.create_task(CallsIndexer(bus, calls).run(idle_timeout=0.2))]
    app = create_app(load(QUERY_SETTINGS, {
        "MAILLAGE_DATA_DIR": str(tmp_path), "MAILLAGE_CALLS_SQLITE_PATH": str(calls.path),
        "MAILLAGE_MICROCACHE_SECONDS": "0"}), SqliteStore(events.path))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    harvester = Harvester(settings, bus, fetcher)
    try:
        yield Stack(harvester, events, calls, session, str(server.make_url("/")))
    finally:
        await harvester.close()  # its parser processes
        await session.close()
        await server.close()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await fetcher.close()


def assert_no_script_link(body: str, where: str) -> None:
    assert "javascript:" not in body.lower(), where


async def test_hostile_events_lose_their_script_links_and_control_characters(
        stack: Stack, feed_server) -> None:
    sources = [
        Source("voisins", feed_server.put("outbox.json", json.dumps(OUTBOX),
                                          "application/activity+json"), format="activitypub"),
        Source("jardin", feed_server.put("agenda.html", PAGE, "text/html"), format="html"),
    ]
    for source in sources:
        status = await stack.harvester.harvest(source, SourceState())
        assert status.ok and status.new == 1, status

    async def indexed() -> bool:
        return await stack.events.count() == 2

    await eventually(indexed)
    for export in EXPORTS:
        assert_no_script_link(await stack.text(f"v1/{export}"), export)
    items = json.loads(await stack.text("v1/events"))["items"]
    assert sorted(i["title"] for i in items) == ["Concert de soutien", "Pique-nique des voisins"]
    for item in items:  # the id stays the source's uid: an identifier, never a link
        links = [item["url"], item["image"], *(s["url"] for s in item["sources"])]
        assert links == [None] * len(links), item
        page = await stack.text(f"evenement/{item['id']}")
        assert_no_script_link(page, item["title"])
        detail = json.loads(await stack.text(f"v1/events/{item['id']}"))
        assert_no_script_link(json.dumps(detail).replace(item["source_uid"], ""), "detail")
    rss = ET.fromstring(await stack.text("v1/events.rss"))  # an XML parser reads it
    assert len(rss.findall("channel/item")) == 2


async def test_hostile_call_loses_its_script_link_and_control_characters(
        stack: Stack, feed_server) -> None:
    url = feed_server.put("aids.json", json.dumps(AIDS), "application/json")
    status = await stack.harvester.harvest(Source("fondation", url, kind="calls"), SourceState())
    assert status.ok and status.new == 1, status

    async def indexed() -> bool:
        return json.loads(await stack.text("v1/calls"))["total"] == 1

    await eventually(indexed)
    [call] = json.loads(await stack.text("v1/calls"))["items"]
    assert call["title"] == "Fonds pour les jardins" and call["application_url"] is None
    for path in ("v1/calls.rss", "v1/calls.ics", f"appels/{call['id']}", "appels"):
        assert_no_script_link(await stack.text(path), path)
    rss = ET.fromstring(await stack.text("v1/calls.rss"))
    assert [t.text for t in rss.iter("title")][-1] == "Fonds pour les jardins"


CHORALE_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//chorale//FR\r
BEGIN:VEVENT\r
UID:noel@chorale\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Paris:{day:%Y%m%d}T200000\r
DTEND;TZID=Europe/Paris:{day:%Y%m%d}T220000\r
SUMMARY:Concert de Noël de la chorale\r
DESCRIPTION:Chants de Noël\\, entrée libre.\r
LOCATION:Les Champs Libres\\, 10 cours des Alliés\\, Rennes\r
URL:https://chorale.example/noel\r
END:VEVENT\r
END:VCALENDAR\r
"""


def openagenda_copy(day: date) -> dict:
    """Another source's copy of the chorale's concert: cancelled, a longer text, its link;
    OpenAgenda ranks before ICS, so its copy was the merged event's primary member."""
    return {"events": [{
        "uid": 666, "slug": "concert-noel", "originAgenda": {"slug": "agenda-pirate"},
        "title": {"fr": "Concert de Noël de la chorale"}, "status": 6, "state": 2,
        "longDescription": {"fr": "ANNULÉ. " + "Venez plutôt chez nous ! " * 10},
        "timings": [{"begin": f"{day}T20:00:00+01:00", "end": f"{day}T22:00:00+01:00"}],
        "location": {"name": "Les Champs Libres", "address": "10 cours des Alliés",
                     "city": "Rennes", "postalCode": "35000"},
    }]}


async def test_another_source_cannot_cancel_rewrite_or_relink_the_organisers_event(
        stack: Stack, feed_server) -> None:
    day = date.today() + timedelta(days=5)
    chorale = Source("chorale", feed_server.put("chorale.ics", CHORALE_ICS.format(day=day),
                                                "text/calendar"), organizer="Chorale du Thabor")
    pirate = Source("pirate", feed_server.put("oa.json", json.dumps(openagenda_copy(day)),
                                              "application/json"), format="openagenda")
    for source in (chorale, pirate):
        status = await stack.harvester.harvest(source, SourceState())
        assert status.ok and status.new == 1, status

    async def merged() -> bool:
        body = json.loads(await stack.text("v1/events?include_cancelled=true"))
        return body["total"] == 1 and len(body["items"][0]["sources"]) == 2

    await eventually(merged)
    [item] = json.loads(await stack.text("v1/events?include_cancelled=true"))["items"]
    assert item["status"] == "scheduled"
    assert item["url"] == "https://chorale.example/noel"
    assert item["description_text"] == "Chants de Noël, entrée libre."
    assert {s["source_id"]: s["status"] for s in item["sources"]} == {
        "chorale": "scheduled", "pirate": "cancelled"}  # shown as provenance
    page = await stack.text(f"evenement/{item['id']}")
    assert "Chants de Noël" in page and "Venez plutôt chez nous" not in page
    ics = await stack.text("v1/events.ics")
    assert "STATUS:CONFIRMED" in ics and "STATUS:CANCELLED" not in ics
