"""The monitor process: follow the STATUS stream, poll the bus, serve the dashboard."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import timedelta

from aiohttp import web
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from services.monitor.alerts import AlertPolicy
from services.monitor.app import Monitor, create_app
from services.monitor.backlog import BusHealth, poll
from services.monitor.tracker import Policy, Tracker
from services.query.errors import AppRunner
from shared.bus import STATUS_SUBJECT, Bus
from shared.errors import ConfigError
from shared.model import HarvestStatus, now_version
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


async def poll_forever(bus: Bus, monitor: Monitor, settings: Settings) -> None:
    while True:
        with contextlib.suppress(Exception):  # poll() logs its own failures
            await poll(bus, monitor.tracker, monitor.bus, settings.lag_alert)
        await asyncio.sleep(settings.monitor_poll)


def make_monitor(settings: Settings, bus: Bus | None) -> Monitor:
    tracker = Tracker(Policy(
        failing_after=settings.failing_after,
        max_errors=settings.max_errors,
        stale_after=timedelta(seconds=settings.stale_after),
        default_interval=timedelta(seconds=settings.default_interval),
    ))

    async def enqueue(source_id: str) -> bool:
        from services.harvester.scheduler import enqueue as enqueue_job

        assert bus is not None
        return await enqueue_job(bus, source_id, now_version())

    return Monitor(tracker, BusHealth(), AlertPolicy(lag_threshold=settings.lag_alert),
                   enqueue if bus is not None else None)


async def run(settings: Settings) -> None:
    if not settings.monitor_password:
        raise ConfigError("MAILLAGE_MONITOR_PASSWORD must be set")
    bus = await Bus.from_settings(settings, "maillage-monitor")
    await bus.ensure()
    monitor = make_monitor(settings, bus)
    await follow(bus, monitor.tracker)
    poller = asyncio.create_task(poll_forever(bus, monitor, settings))
    app = create_app(monitor, settings.monitor_user, settings.monitor_password)
    runner = AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.monitor_host, settings.monitor_port).start()
    url = f"http://{settings.monitor_host}:{settings.monitor_port}"
    log.info("monitor listening", extra={"url": url})
    try:
        await asyncio.Event().wait()
    finally:
        poller.cancel()
        await runner.cleanup()
        await bus.close()
