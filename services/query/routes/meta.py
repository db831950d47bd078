"""``/healthz`` and ``/openapi.json``."""

from __future__ import annotations

from aiohttp import web

from services.query import openapi
from services.query.context import SETTINGS, STORE, json_response
from services.query.errors import ApiError
from services.query.http import cache_for


async def health(request: web.Request) -> web.Response:
    try:
        count = await request.app[STORE].count()
    except Exception as exc:
        raise ApiError(503, "search store unavailable", details={"reason": str(exc)}) from None
    response = json_response({"status": "ok", "documents": count})
    response.headers["Cache-Control"] = "no-store"
    return response


async def openapi_json(request: web.Request) -> web.Response:
    response = json_response(openapi.spec(max_limit=request.app[SETTINGS].max_limit,
                                      export_max=request.app[SETTINGS].export_max))
    cache_for(response, request.app[SETTINGS].cache_static_seconds)
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", health)
    app.router.add_get("/openapi.json", openapi_json)
