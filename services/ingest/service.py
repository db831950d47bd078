"""The ingest-service process."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from services.ingest.app import create_app
from shared.bus import Bus
from shared.settings import Settings

log = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    bus = await Bus.connect(settings.nats_url, name="maillage-ingest")
    await bus.ensure()
    runner = web.AppRunner(create_app(bus), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.ingest_host, settings.ingest_port).start()
    log.info("ingest listening", extra={"url": f"http://{settings.ingest_host}:{settings.ingest_port}"})
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await bus.close()
