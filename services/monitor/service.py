"""The monitor process: follow the STATUS stream and serve the dashboard."""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from services.monitor.app import create_app
from services.monitor.tracker import Tracker
from shared.bus import STATUS_SUBJECT, Bus
from shared.errors import ConfigError
from shared.model import HarvestStatus
from shared.settings import Settings

log = logging.getLogger(__name__)


async def follow(bus: Bus, tracker: Tracker) -> None:
    """Replay the STATUS stream from its start, then follow it (ordered consumer)."""

    async def on_status(msg: Msg) -> None:
        try:
            tracker.record(HarvestStatus.from_dict(json.loads(msg.data)))
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable status record", extra={"subject": msg.subject})

    await bus.js.subscribe(f"{STATUS_SUBJECT}.>", cb=on_status, ordered_consumer=True,
                           deliver_policy=DeliverPolicy.ALL)


async def run(settings: Settings) -> None:
    if not settings.monitor_password:
        raise ConfigError("MAILLAGE_MONITOR_PASSWORD must be set")
    bus = await Bus.connect(settings.nats_url, name="maillage-monitor")
    await bus.ensure()
    tracker = Tracker()
    await follow(bus, tracker)
    app = create_app(tracker, settings.monitor_user, settings.monitor_password)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.monitor_host, settings.monitor_port).start()
    log.info("monitor listening", extra={"url": f"http://{settings.monitor_host}:{settings.monitor_port}"})
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await bus.close()
