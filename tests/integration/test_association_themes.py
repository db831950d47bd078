"""An association's themes reach its events' themes through the running indexer: the
association records and the link records are read from RECORDS, and followed."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.associations.links import ORGANIZER, link_id
from services.indexer.associations import AssociationContext
from services.indexer.consumer import Indexer
from services.indexer.service import make_enricher
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from shared.bus import EVENTS_SUBJECT, Bus
from shared.model import Event, EventMessage, Occurrence
from shared.records import Records
from shared.settings import load
from shared.store.sqlite import SqliteStore

pytestmark = pytest.mark.integration


async def publish(bus: Bus, title: str, organizer: str) -> str:
    event = Event.create(source_id="club", source_uid=title, title=title, organizer=organizer,
                         occurrences=(Occurrence(start=datetime.now(UTC) + timedelta(days=4)),))
    msg = EventMessage.upsert(event, version=1)
    await bus.publish(f"{EVENTS_SUBJECT}.club", msg.to_json(), msg.msg_id)
    return event.id


async def themes_of(store: SqliteStore, event_id: str) -> dict[str, str] | None:
    """The theme reasons of the event once indexed (a bounded wait, not a timing test)."""
    deadline = asyncio.get_running_loop().time() + 15
    while not (docs := await store.event_docs(event_id)):
        assert asyncio.get_running_loop().time() < deadline, "not indexed in time"
        await asyncio.sleep(0.05)
    return docs[0]["theme_reasons"]


async def club(records: Records) -> AssociationContext:
    """The volleyball club's record, and a context loaded with it."""
    await records.create(records.subject("association", "rec-volley"), {
        "id": "rec-volley", "name": "Rennes Étudiants Club Volley-Ball", "themes": ["011170"],
        "state": "active"}, actor="test")
    context = AssociationContext()
    await context.reload(records)
    return context


async def link_smashers(records: Records, context: AssociationContext) -> None:
    """An operator links the organizer "Les Smashers" to the club; the context follows."""
    await records.create(records.subject("link", link_id(ORGANIZER, "Les Smashers")), {
        "id": link_id(ORGANIZER, "Les Smashers"), "kind": ORGANIZER,
        "value": "Les Smashers", "links": [], "decisions": {"Les Smashers": "rec-volley"}},
        actor="test")
    deadline = asyncio.get_running_loop().time() + 15
    while context.links.get(link_id(ORGANIZER, "Les Smashers")) != ["rec-volley"]:
        assert asyncio.get_running_loop().time() < deadline, "link not followed"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "enrichment-workers"])
async def test_club_fixture_gets_the_club_theme(bus: Bus, tmp_path: Path, workers: int) -> None:
    """In the indexer's process and with MAILLAGE_ENRICH_WORKERS>0 (where this process only
    writes: every theme then comes from the worker), the same association themes, and a link
    made while it runs is followed."""
    from services.indexer.enrich_pool import EnrichPool

    records = Records(bus.js)
    context = await club(records)
    settings = load(INDEXER_SETTINGS, {})
    pool = EnrichPool(workers, settings.reference_dir, settings.timezone, context) \
        if workers else None
    store = SqliteStore(tmp_path / "index.sqlite")
    enrich = make_enricher(settings, context).enrich if pool is None else (lambda e: e)
    indexer = Indexer(bus, store, enrich, batch_size=16, pool=pool)
    tasks = [asyncio.create_task(indexer.run(idle_timeout=0.1)), asyncio.create_task(
        context.follow(bus, every_s=0.05))]
    try:
        first = await publish(bus, "[M15] Journée 5", "Rennes Etudiants Club Volley Ball")
        assert await themes_of(store, first) == {"sport": "association:011170"}
        other = await publish(bus, "[M13] Journée 2", "Les Smashers")  # not linked (yet)
        assert await themes_of(store, other) == {}

        # an operator links the organizer: the indexer follows, the next events get the prior
        await link_smashers(records, context)
        third = await publish(bus, "[M13] Journée 3", "Les Smashers")
        assert await themes_of(store, third) == {"sport": "association:011170"}
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if pool is not None:
            pool.close()
        await store.close()
