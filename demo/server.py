"""The demo feed server: serves the demo associations' calendars on loopback.

They stand for association websites. Files live under ``<data dir>/demo/site`` and can be
edited while the demo runs: an event added to one appears in Maillage after the next harvest.
It also stands for the City of Rennes' system that pushes its calls for projects: when
``MAILLAGE_PUSH_SECRETS`` names the publisher ``ville-de-rennes`` (``maillage run --demo``
sets it), the demo calls are pushed to the ingest service (:mod:`demo.calls`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import date
from pathlib import Path

from aiohttp import web

from demo.calls import PUBLISHER, push_calls
from services.ingest.settings import SETTINGS as INGEST_SETTINGS
from shared.service import main
from shared.settings import COMMON, Setting, Settings, as_port

SETTINGS = COMMON + (
    Setting("MAILLAGE_DEMO_PORT", "8090", "Port of the demo feed server.", as_port),
) + tuple(s for s in INGEST_SETTINGS if s.name in ("MAILLAGE_INGEST_PORT",
                                                   "MAILLAGE_PUSH_SECRETS"))

log = logging.getLogger(__name__)


def create_app(site: Path) -> web.Application:
    app = web.Application()

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    app.router.add_get("/robots.txt", robots)
    app.router.add_static("/", site, show_index=True)
    return app


async def run(settings: Settings) -> None:
    site = Path(settings.data_dir) / "demo" / "site"
    site.mkdir(parents=True, exist_ok=True)
    runner = web.AppRunner(create_app(site), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.demo_port).start()
    log.info("demo feed server", extra={"url": f"http://127.0.0.1:{settings.demo_port}/"})
    pusher = None
    secrets = settings.push_secrets.get(PUBLISHER)
    if secrets:  # the demo's City of Rennes pushes its calls (the last secret is the newest)
        pusher = asyncio.create_task(push_calls(
            f"http://127.0.0.1:{settings.ingest_port}", secrets[-1], date.today()))
    try:
        await asyncio.Event().wait()
    finally:
        if pusher is not None:
            pusher.cancel()
        await runner.cleanup()


if __name__ == "__main__":
    os.environ.setdefault("MAILLAGE_DATA_DIR", "var")
    main("demo", SETTINGS, run)
