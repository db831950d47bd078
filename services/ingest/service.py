"""The ingest-service process: push endpoint, and the saved-search alert sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from services.ingest.app import create_app
from services.query.errors import AppRunner
from shared.bus import Bus
from shared.settings import Settings

log = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    from services.ingest.alerts import run_alerts
    from shared.store.factory import open_call_store

    bus = await Bus.from_settings(settings, "maillage-ingest")
    await bus.ensure()
    if not settings.push_secrets:
        log.warning("no MAILLAGE_PUSH_SECRETS: every push will be refused")
    runner = AppRunner(create_app(bus, settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.ingest_host, settings.ingest_port).start()
    url = f"http://{settings.ingest_host}:{settings.ingest_port}"
    log.info("ingest listening", extra={"url": url})
    store = open_call_store(settings)
    alerts = asyncio.create_task(run_alerts(settings, store))
    try:
        await asyncio.Event().wait()
    finally:
        alerts.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await alerts
        await runner.cleanup()
        await bus.close()
        await store.close()
