"""The demo's organizers end linked to the demo associations, the uncertain one in the review
queue: the demo's feeds as ``maillage run --demo`` writes them, read by the harvester's
parsers, indexed into the site's SQLite store, linked by the site's loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from demo.generate import generate
from services.accounts.web import SITE
from services.associations import links
from services.associations.links_pages import linking_loop
from services.harvester.formats import parse_document
from services.harvester.formats.base import ParseContext
from services.harvester.registry import SourceRegistry
from services.harvester.sources import load_sources
from services.query.context import STORE
from shared.model import EventMessage

from .conftest import Site

pytestmark = pytest.mark.integration


async def test_demo_organizers_are_linked(site: Site, tmp_path: Path) -> None:
    base = "http://127.0.0.1:9"
    sources_file = generate(tmp_path / "demo", date.today(), base)
    registry = SourceRegistry(site.app[SITE].ready().bus)
    messages = []
    event_sources = 0
    for source in load_sources(sources_file):
        if source.kind != "events":
            continue
        event_sources += 1
        await registry.add(source, actor="test")
        body = (tmp_path / "demo" / "site" / source.url.removeprefix(base + "/")).read_bytes()
        context = ParseContext(source_id=source.id, now=datetime.now(UTC), url=source.url,
                               organizer=source.organizer)
        messages += [EventMessage.upsert(e, 1)
                     for e in parse_document(body, context, source.format).events]
    await site.app[STORE].apply(messages)

    records = site.app[SITE].ready().records
    loop = asyncio.create_task(linking_loop(site.app, check_s=0.05))
    try:
        deadline = asyncio.get_running_loop().time() + 15
        # one refresh writes the organizers' records, then the sources': wait for both
        # (a bounded wait, not a timing test)
        while not (await links.review_queue(records)
                   and len([r for r in await links.all_links(records)
                            if r["kind"] == "source"]) == event_sources):
            assert asyncio.get_running_loop().time() < deadline, "not linked in time"
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
    found = {r["value"]: r for r in await links.all_links(records) if r["kind"] == "organizer"}
    linked = {value: sorted(e["association"] for e in links.effective(r))
              for value, r in found.items()}
    assert linked == {
        "Roazhon Vélo Solidaire": ["velo-solidaire"],
        "Les Jardins Partagés du Blosne": ["jardins-blosne"],
        "Chœur Arc-en-Ciel de Rennes": ["choeur-arc-en-ciel"],
        "Collectif Accès Culture Rennes": ["acces-culture"],
        "Repair Café Villejean": ["repair-cafe-villejean"],
        "Roazhon Vélo Solidaire / Repair Café Villejean": ["repair-cafe-villejean",
                                                           "velo-solidaire"],
        "Jardins du Blosne": [],
    }
    (waiting,) = await links.review_queue(records)
    assert waiting["value"] == "Jardins du Blosne"
    assert [c["association"] for c in links.pending(waiting)[0]["candidates"]] == [
        "jardins-blosne"]
    # the demo sources, each declaring its association as organizer, are linked too
    sources = {r["value"]: links.effective(r) for r in await links.all_links(records)
               if r["kind"] == "source"}
    assert sources and all(len(e) == 1 for e in sources.values()), sources
