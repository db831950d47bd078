"""The query-service process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from services.query.app import create_app
from services.query.errors import AppRunner
from shared.settings import Settings
from shared.store.base import SearchStore
from shared.store.factory import open_store

log = logging.getLogger(__name__)
#: SQLite page cache of the query service's connections, in MB.
READER_CACHE_MB = 8


async def run(
    settings: Settings, *, reuse_port: bool = False, listening: Callable[[], None] | None = None,
    store: SearchStore | None = None,
) -> None:
    """Serve until cancelled. For the workers of :mod:`services.query.workers`:
    ``reuse_port`` binds with SO_REUSEPORT (they share the port), ``listening`` is called
    once the port is bound, ``store`` is the one the master opened and warmed before forking
    (its index is shared with the other workers until they change it)."""
    # searches are answered from the in-memory bitmap index; SQLite's page cache only serves
    # page bodies, so a small one keeps each worker's memory low (the OS caches the file)
    store = store or open_store(settings, cache_mb=READER_CACHE_MB, reader=True)
    app = create_app(settings, store, connect=True)
    runner = AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port, reuse_port=reuse_port)
    await site.start()
    log.info("query service listening", extra={"url": f"http://{settings.http_host}:{settings.http_port}"})
    if listening is not None:
        listening()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
