"""The harvester process: schedule due sources and harvest them.

The sources come from the registry (:mod:`services.harvester.registry`). When the file named
by ``MAILLAGE_SOURCES`` exists, one replica keeps the registry in step with it
(:class:`~services.harvester.filesync.FileSync`): at start-up and at each edit.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from services.harvester.fetcher import FetchConfig, Fetcher
from services.harvester.filesync import FileSync
from services.harvester.registry import SourceRegistry
from services.harvester.scheduler import Scheduler
from services.harvester.state import StateStore
from services.harvester.worker import Harvester
from shared.bus import Bus
from shared.metrics import start_metrics_server, stop_metrics_server
from shared.settings import Settings

log = logging.getLogger(__name__)


def fetch_config(settings: Settings) -> FetchConfig:
    return FetchConfig(
        user_agent=settings.user_agent,
        connect_timeout=settings.connect_timeout,
        total_timeout=settings.fetch_timeout,
        max_bytes=settings.max_body_bytes,
        per_host_limit=settings.per_host_limit,
        allow_private=settings.allow_private,
        allow_files=settings.allow_files,
    )


async def run(settings: Settings) -> None:
    bus = await Bus.from_settings(settings, "maillage-harvester")
    fetcher = Fetcher(fetch_config(settings))
    metrics = await start_metrics_server(settings.metrics_host, settings.metrics_port)
    harvester = Harvester(settings, bus, fetcher)  # its parser processes start on first use
    try:
        await bus.ensure()
        states = StateStore(await bus.kv("harvest_state"))
        registry = SourceRegistry(bus)
        scheduler = Scheduler(
            bus,
            registry,
            states,
            harvester,
            concurrency=settings.harvest_concurrency,
            tick_s=settings.scheduler_tick,
            ack_wait_s=settings.job_ack_wait,
        )
        tasks = [scheduler.run()]
        if settings.sources and await asyncio.to_thread(Path(settings.sources).is_file):
            sync = FileSync(registry, settings.sources, every_s=min(settings.scheduler_tick, 5))
            if await sync.lease.hold():  # the first sync before the first tick
                await sync.check()
            tasks.append(sync.run())
        elif settings.sources:
            log.info("no sources file at %s: the sources are the registry's "
                     "(maillage sources add|import)", settings.sources)
        log.info("harvester started", extra={"sources": len(await registry.list())})
        await asyncio.gather(*tasks)
    finally:
        await harvester.close()
        await stop_metrics_server(metrics)
        await fetcher.close()
        await bus.close()
