"""A sources file pointing at several formats of the same organisation (ICS, RSS with event
dates, HTML with JSON-LD) yields each real event once, with all its sources listed."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.harvester.fetcher import Fetcher
from services.harvester.service import fetch_config
from services.harvester.settings import SETTINGS as HARVESTER_SETTINGS
from services.harvester.sources import Source
from services.harvester.state import SourceState
from services.harvester.worker import Harvester
from services.indexer.consumer import Indexer
from services.indexer.service import make_enricher
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from shared.settings import load
from shared.store.base import SearchQuery
from shared.store.sqlite import SqliteStore

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")
DAY = date.today() + timedelta(days=4)
EVENTS = [  # title, hour, venue, address
    ("Conseil de quartier du Blosne", 18, "Espace social Ty-Blosne",
     "7 boulevard de Yougoslavie, 35200 Rennes"),
    ("Atelier vélo participatif", 14, "Maison des Associations",
     "6 cours des Alliés, 35000 Rennes"),
    ("Projection-débat : la ville à vélo", 20, "Les Champs Libres",
     "10 cours des Alliés, 35000 Rennes"),
]


def start(hour: int, shift_min: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour), PARIS) + timedelta(minutes=shift_min)


def ics() -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//collectif//FR"]
    for i, (title, hour, venue, address) in enumerate(EVENTS):
        where = f"{venue}, {address}".replace(",", "\\,")
        lines += ["BEGIN:VEVENT", f"UID:ics-{i}@collectif", "DTSTAMP:20260101T000000Z",
                  f"DTSTART;TZID=Europe/Paris:{start(hour):%Y%m%dT%H%M%S}",
                  f"DTEND;TZID=Europe/Paris:{start(hour + 2):%Y%m%dT%H%M%S}",
                  f"SUMMARY:{title}", f"LOCATION:{where}",
                  "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n"


def rss() -> str:
    items = "".join(
        f"<item><title>{title.upper()}</title><guid>rss-{i}</guid>"  # shouted titles
        f"<ev:startdate>{start(hour, 15).isoformat()}</ev:startdate>"  # announced 15 min later
        f"<ev:location>{venue}</ev:location></item>"
        for i, (title, hour, venue, _) in enumerate(EVENTS))
    return ('<?xml version="1.0"?><rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/'
            f'event/"><channel><title>Collectif</title>{items}</channel></rss>')


def html() -> str:
    blocks = "".join(
        '<script type="application/ld+json">' + json.dumps({
            "@context": "https://schema.org", "@type": "Event", "name": title,
            "identifier": f"html-{i}", "startDate": start(hour).isoformat(),
            "location": {"@type": "Place", "name": venue, "address": address},
        }) + "</script>" for i, (title, hour, venue, address) in enumerate(EVENTS))
    return f"<!doctype html><html lang='fr'><head>{blocks}</head><body></body></html>"


async def test_each_real_event_once_with_all_its_sources(bus, feed_server, tmp_path: Path):
    sources = [
        Source("collectif-ics", feed_server.put("agenda.ics", ics(), "text/calendar")),
        Source("collectif-rss", feed_server.put("agenda.rss", rss(), "application/rss+xml")),
        Source("collectif-site", feed_server.put("agenda.html", html(), "text/html")),
    ]
    settings = load(HARVESTER_SETTINGS, {"MAILLAGE_ALLOW_PRIVATE": "true"})
    fetcher = Fetcher(fetch_config(settings))
    harvester = Harvester(settings, bus, fetcher)
    store = SqliteStore(tmp_path / "index.sqlite")
    indexer = Indexer(bus, store, make_enricher(load(INDEXER_SETTINGS, {})).enrich)
    task = asyncio.create_task(indexer.run(idle_timeout=0.2))
    try:
        for source in sources:
            status = await harvester.harvest(source, SourceState())
            assert status.ok and status.new == 3, (source.id, status)
        for _ in range(200):
            if indexer.stats.applied == 9:
                break
            await asyncio.sleep(0.05)
        page = await store.search(SearchQuery(limit=50, start=start(0)))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await harvester.close()
        await fetcher.close()
    assert page.total == 3
    for item in page.items:
        assert {s["source_id"] for s in item["sources"]} == {
            "collectif-ics", "collectif-rss", "collectif-site"}
    assert sorted(i["title"] for i in page.items) == sorted(t for t, *_ in EVENTS)
