"""The query-service process."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from services.query.app import create_app
from shared.settings import Settings
from shared.store.factory import open_store

log = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    app = create_app(settings, open_store(settings))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    log.info("query service listening", extra={"url": f"http://{settings.http_host}:{settings.http_port}"})
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
