"""The harvester process: schedule due sources and harvest them."""

from __future__ import annotations

import logging

from services.harvester.fetcher import FetchConfig, Fetcher
from services.harvester.scheduler import Scheduler
from services.harvester.sources import load_sources
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
    sources = load_sources(settings.sources)
    bus = await Bus.from_settings(settings, "maillage-harvester")
    fetcher = Fetcher(fetch_config(settings))
    metrics = await start_metrics_server(settings.metrics_host, settings.metrics_port)
    try:
        await bus.ensure()
        states = StateStore(await bus.kv("harvest_state"))
        harvester = Harvester(settings, bus, fetcher)
        scheduler = Scheduler(
            bus,
            sources,
            states,
            harvester,
            concurrency=settings.harvest_concurrency,
            tick_s=settings.scheduler_tick,
        )
        log.info("harvester started", extra={"sources": len(sources)})
        await scheduler.run()
    finally:
        await stop_metrics_server(metrics)
        await fetcher.close()
        await bus.close()
