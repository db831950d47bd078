"""The ingest service: the authenticated push endpoint for city systems.

``create_app(bus, settings)`` serves ``/healthz`` and the push routes
(:mod:`services.ingest.push`); without settings (old callers) only ``/healthz``.
"""

from __future__ import annotations

from aiohttp import web

from services.ingest.push import PushState, setup_push
from services.query.errors import error_middleware
from shared.bus import Bus
from shared.errors import ConfigError
from shared.metrics import setup_metrics
from shared.ratelimit import RateLimiter
from shared.settings import Settings

BUS = web.AppKey("bus", Bus)


async def health(request: web.Request) -> web.Response:
    bus = request.app[BUS]
    return web.json_response({"status": "ok" if bus.nc.is_connected else "degraded"})


def push_state(bus: Bus, settings: Settings) -> PushState:
    if settings.push_replay_ttl < 2 * settings.push_tolerance:
        raise ConfigError(
            f"MAILLAGE_PUSH_REPLAY_TTL ({settings.push_replay_ttl} s) must be at least twice "
            f"MAILLAGE_PUSH_TOLERANCE ({settings.push_tolerance} s): a webhook-id forgotten "
            "while its timestamp is still accepted can be replayed")
    return PushState(
        bus=bus,
        secrets=settings.push_secrets,
        max_bytes=settings.push_max_bytes,
        tolerance=settings.push_tolerance,
        replay_ttl=settings.push_replay_ttl,
        limiter=RateLimiter(settings.push_rate, settings.push_burst),
        read_timeout=settings.push_read_timeout,
    )


def create_app(bus: Bus, settings: Settings | None = None) -> web.Application:
    max_bytes = settings.push_max_bytes if settings is not None else 1024 * 1024
    app = web.Application(middlewares=[error_middleware], client_max_size=max_bytes + 1)
    setup_metrics(app, "ingest")
    app[BUS] = bus
    app.router.add_get("/healthz", health)
    if settings is not None:
        setup_push(app, push_state(bus, settings))
    return app
