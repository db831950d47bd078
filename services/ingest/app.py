"""The ingest service: the authenticated push endpoint for city systems."""

from __future__ import annotations

from aiohttp import web

from services.query.errors import error_middleware
from shared.bus import Bus

BUS = web.AppKey("bus", Bus)


async def health(request: web.Request) -> web.Response:
    bus = request.app[BUS]
    return web.json_response({"status": "ok" if bus.nc.is_connected else "degraded"})


def create_app(bus: Bus) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=1024 * 1024)
    app[BUS] = bus
    app.router.add_get("/healthz", health)
    return app
