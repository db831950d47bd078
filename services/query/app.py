"""The query service: ``create_app(settings, store)`` builds the aiohttp application.

Routes: the JSON API under ``/v1``, ``/healthz``, ``/openapi.json`` and the French web page
(:mod:`services.query.web`). The store is passed in, so tests give it a real SQLite file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from services.query import openapi
from services.query.errors import ApiError, error_middleware, invalid_parameter
from services.query.params import parse_search
from shared.settings import Settings
from shared.store.base import SearchQuery, SearchStore

STORE = web.AppKey("store", SearchStore)  # type: ignore[type-abstract]
SETTINGS = web.AppKey("settings", Settings)
TZ = web.AppKey("tz", ZoneInfo)


def search_query(request: web.Request, **extra: Any) -> SearchQuery:
    app = request.app
    return parse_search(
        request.rel_url.query,
        tz=app[TZ],
        now=datetime.now(UTC),
        max_limit=app[SETTINGS].max_limit,
        **extra,
    )


def public_item(doc: dict[str, Any]) -> dict[str, Any]:
    """The API view of a stored document: internal fields removed."""
    return {k: v for k, v in doc.items() if k not in ("start_ts", "end_ts")}


async def list_events(request: web.Request) -> web.Response:
    query = search_query(request)
    try:
        page = await request.app[STORE].search(query)
    except ValueError as exc:  # a cursor that does not decode, or from another sort order
        raise invalid_parameter("cursor", str(exc)) from None
    body: dict[str, Any] = {
        "total": page.total,
        "items": [public_item(d) for d in page.items],
        "next": page.next,
    }
    if query.facets:
        body["facets"] = page.facets
    return web.json_response(body)


async def get_event(request: web.Request) -> web.Response:
    store = request.app[STORE]
    doc = await store.get(request.match_info["id"])
    if doc is None:
        raise ApiError(404, "no such event", details={"id": request.match_info["id"]})
    siblings = await store.event_docs(doc["event_id"])
    return web.json_response({
        "item": public_item(doc),
        "occurrences": [public_item(d) for d in siblings if d["id"] != doc["id"]],
    })


async def health(request: web.Request) -> web.Response:
    try:
        count = await request.app[STORE].count()
    except Exception as exc:
        raise ApiError(503, "search store unavailable", details={"reason": str(exc)}) from None
    return web.json_response({"status": "ok", "documents": count})


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(openapi.spec())


def create_app(settings: Settings, store: SearchStore) -> web.Application:
    app = web.Application(middlewares=[error_middleware])
    app[STORE] = store
    app[SETTINGS] = settings
    app[TZ] = ZoneInfo(settings.timezone)
    app.router.add_get("/v1/events", list_events)
    app.router.add_get("/v1/events/{id}", get_event)
    app.router.add_get("/healthz", health)
    app.router.add_get("/openapi.json", openapi_json)
    from services.query.web import setup_web

    setup_web(app)

    async def close_store(app: web.Application) -> None:
        await app[STORE].close()

    app.on_cleanup.append(close_store)
    return app
