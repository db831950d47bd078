"""The indexer process: events stream -> enrichment -> search store; calls -> calls store;
association records -> the directory (:mod:`services.indexer.records_consumer`); the
domains' records -> the board (:mod:`services.indexer.board_consumer`)."""

from __future__ import annotations

import asyncio
import logging

from services.indexer.associations import AssociationContext
from services.indexer.board_consumer import DURABLE as BOARD_DURABLE
from services.indexer.board_consumer import BoardIndexer
from services.indexer.calls_consumer import run_calls
from services.indexer.consumer import DURABLE, Indexer
from services.indexer.enrich import Enricher
from services.indexer.enrich_pool import EnrichPool
from services.indexer.records_consumer import DURABLE as RECORDS_DURABLE
from services.indexer.records_consumer import RecordsIndexer
from services.indexer.relink import Affected, reenrich
from shared.bus import Bus
from shared.errors import ConfigError
from shared.metrics import start_metrics_server, stop_metrics_server, watch_consumer
from shared.records import RECORDS_STREAM, Records
from shared.reference import Reference, directory_stamp, load_reference, reference_dir
from shared.settings import Settings
from shared.store.factory import (
    open_board_store,
    open_call_store,
    open_directory_store,
    open_store,
)

log = logging.getLogger(__name__)


def make_enricher(settings: Settings,
                  associations: AssociationContext | None = None) -> Enricher:
    """The enricher, with reference data from MAILLAGE_REFERENCE_DIR (relative to the repo).

    Without the reference data the indexer still runs: events are indexed, themed and
    sanitized, but not placed in quartiers; the log says so and where to get the data.
    """
    enricher = enricher_for(settings.reference_dir, settings.timezone)
    if associations is not None:  # the associations' themes as a prior (in this process)
        enricher.associations = associations.annotate
    return enricher


def enricher_for(reference: str, timezone: str) -> Enricher:
    """:func:`make_enricher` from the two settings it reads (what an enrichment worker gets)."""
    directory = reference_dir({"MAILLAGE_REFERENCE_DIR": reference})
    try:
        data = load_reference(directory)
    except ConfigError as exc:
        log.warning("reference data unavailable, events will not be placed in quartiers: %s; "
                    "'maillage reference fetch' downloads it (README, 'Reference data')",
                    exc.message)
        data = Reference.empty(directory)
    return Enricher(data, timezone=timezone)


def make_pool(settings: Settings,
              associations: AssociationContext | None = None) -> EnrichPool | None:
    """The enrichment workers (MAILLAGE_ENRICH_WORKERS; none: enrich in this process), with
    the associations' themes as a prior as in this process."""
    if settings.enrich_workers <= 0:
        return None
    return EnrichPool(settings.enrich_workers, settings.reference_dir, settings.timezone,
                      associations)


async def follow_reference(settings: Settings, indexer: Indexer, every_s: float = 30,
                           records: RecordsIndexer | None = None,
                           board: BoardIndexer | None = None,
                           associations: AssociationContext | None = None) -> None:
    """Load the reference data again when its directory changes (``maillage reference
    fetch``): the events indexed from then on use it; those indexed before keep their
    places until ``maillage reindex``."""
    directory = reference_dir({"MAILLAGE_REFERENCE_DIR": settings.reference_dir})
    stamp = await asyncio.to_thread(directory_stamp, directory)
    while True:
        await asyncio.sleep(every_s)
        current = await asyncio.to_thread(directory_stamp, directory)
        if current == stamp:
            continue
        stamp = current
        enricher = await asyncio.to_thread(make_enricher, settings, associations)
        indexer.enrich, indexer.enrich_many = enricher.enrich, enricher.enrich_many
        for projector in (records, board):
            if projector is not None:
                projector.geocode = enricher.geocoder.geocode
        if indexer.pool is not None:
            indexer.pool.restart()
        log.info("reference data loaded again", extra={"directory": str(directory)})


async def run(settings: Settings) -> None:
    associations = AssociationContext()
    enricher = make_enricher(settings, associations)
    pool = make_pool(settings, associations)
    store = open_store(settings)
    calls_store = open_call_store(settings)
    directory = open_directory_store(settings)
    board_store = open_board_store(settings)
    bus = await Bus.from_settings(settings, "maillage-indexer")
    metrics = await start_metrics_server(settings.metrics_host, settings.metrics_port)
    lags: list[asyncio.Task[None]] = []
    try:
        await bus.ensure()
        lags = [asyncio.create_task(watch_consumer(bus, "EVENTS", DURABLE)),
                asyncio.create_task(watch_consumer(bus, RECORDS_STREAM, RECORDS_DURABLE))]
        indexer = Indexer(
            bus, store, enricher.enrich,
            batch_size=settings.batch_size,
            max_deliver=settings.max_deliver,
            retry_delay_s=settings.retry_delay,
            ack_wait_s=settings.ack_wait,
            pool=pool,
            enrich_many=enricher.enrich_many,
        )
        records = RecordsIndexer(
            bus, directory, enricher.geocoder.geocode,
            batch_size=settings.batch_size,
            max_deliver=settings.max_deliver,
            retry_delay_s=settings.retry_delay,
            ack_wait_s=settings.ack_wait,
            context=associations,
        )
        board = BoardIndexer(  # the directory's geocoder
            bus, board_store, enricher.geocoder.geocode,
            batch_size=settings.batch_size,
            max_deliver=settings.max_deliver,
            retry_delay_s=settings.retry_delay,
            ack_wait_s=settings.ack_wait,
        )
        if board.by_kind:
            lags.append(asyncio.create_task(
                watch_consumer(bus, RECORDS_STREAM, BOARD_DURABLE)))

        async def reenrich_events(affected: Affected) -> None:
            await reenrich(bus, store, affected)

        associations.event_listeners.append(reenrich_events)
        # before the first event (its themes' prior); the associations with links or sources
        # are projected again, for what changed while the indexer was stopped
        await associations.reload(Records(bus.js), bus)
        log.info("indexer started")
        await asyncio.gather(indexer.run(), run_calls(settings, bus, calls_store),
                             records.run(), board.run(),
                             follow_reference(settings, indexer, records=records,
                                              board=board, associations=associations),
                             associations.follow(bus))
    finally:
        for lag in lags:
            lag.cancel()
        if pool is not None:
            pool.close()
        await stop_metrics_server(metrics)
        await bus.close()
        await store.close()
        await calls_store.close()
        await directory.close()
        await board_store.close()
