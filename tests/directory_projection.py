"""Run the indexer's projection of the association records into a directory store until it
has caught up: the real records consumer on the real nats-server, with the association
context (links, registry sources) the indexer gives it."""

from __future__ import annotations

import asyncio
from typing import Any

from nats.js.errors import NotFoundError

from services.indexer.associations import AssociationContext
from services.indexer.records_consumer import DURABLE, RecordsIndexer
from shared.bus import Bus
from shared.records import RECORDS_STREAM, Records
from shared.store.directory_base import DirectoryStore


def reference_geocode() -> Any:
    """The indexer's geocoder (with the reference data when it is there)."""
    from services.indexer.service import make_enricher
    from services.indexer.settings import SETTINGS
    from shared.settings import load

    return make_enricher(load(SETTINGS, {})).geocoder.geocode


async def caught_up(bus: Bus, durable: str = DURABLE, within_s: float = 30) -> None:
    """Wait (bounded) until the records consumer has nothing pending."""
    async with asyncio.timeout(within_s):
        while True:
            try:
                info = await bus.js.consumer_info(RECORDS_STREAM, durable)
            except NotFoundError:  # not subscribed yet
                info = None
            if info is not None and info.num_pending == 0 and info.num_ack_pending == 0:
                return
            await asyncio.sleep(0.05)


async def project_directory(bus: Bus, directory: DirectoryStore, *, geocode: Any = None,
                            within_s: float = 30) -> None:
    """Project every association record into ``directory`` as the indexer does, then stop."""
    context = AssociationContext()
    indexer = RecordsIndexer(bus, directory, geocode, context=context, batch_size=64)
    await context.reload(Records(bus.js), bus)
    task = asyncio.create_task(indexer.run(idle_timeout=0.2))
    try:
        await caught_up(bus, within_s=within_s)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await directory.settle()  # the pages read what was just written
