"""The indexer process: events stream -> enrichment -> search store."""

from __future__ import annotations

import asyncio
import logging

from services.indexer.calls_consumer import run_calls
from services.indexer.consumer import DURABLE, Indexer
from services.indexer.enrich import Enricher
from shared.bus import Bus
from shared.errors import ConfigError
from shared.metrics import start_metrics_server, stop_metrics_server, watch_consumer
from shared.reference import Reference, load_reference, reference_dir
from shared.settings import Settings
from shared.store.calls_sqlite import open_call_store
from shared.store.factory import open_store

log = logging.getLogger(__name__)


def make_enricher(settings: Settings) -> Enricher:
    """The enricher, with reference data from MAILLAGE_REFERENCE_DIR (relative to the repo).

    Without the reference data the indexer still runs: events are indexed, themed and
    sanitized, but not placed in quartiers; the log says so and where to get the data.
    """
    directory = reference_dir({"MAILLAGE_REFERENCE_DIR": settings.reference_dir})
    try:
        reference = load_reference(directory)
    except ConfigError as exc:
        log.warning("reference data unavailable, events will not be geolocated: %s "
                    "(the README lists where the official datasets are downloaded)", exc.message)
        reference = Reference.empty(directory)
    return Enricher(reference, timezone=settings.timezone)


async def run(settings: Settings) -> None:
    enricher = make_enricher(settings)
    store = open_store(settings)
    calls_store = open_call_store(settings)
    bus = await Bus.from_settings(settings, "maillage-indexer")
    metrics = await start_metrics_server(settings.metrics_host, settings.metrics_port)
    lag: asyncio.Task[None] | None = None
    try:
        await bus.ensure()
        lag = asyncio.create_task(watch_consumer(bus, "EVENTS", DURABLE))
        indexer = Indexer(
            bus, store, enricher.enrich,
            batch_size=settings.batch_size,
            max_deliver=settings.max_deliver,
            retry_delay_s=settings.retry_delay,
            ack_wait_s=settings.ack_wait,
        )
        log.info("indexer started")
        await asyncio.gather(indexer.run(), run_calls(settings, bus, calls_store))
    finally:
        if lag is not None:
            lag.cancel()
        await stop_metrics_server(metrics)
        await bus.close()
        await store.close()
        await calls_store.close()
