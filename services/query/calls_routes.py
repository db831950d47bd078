"""Calls for projects in the query service: ``setup_calls(app)`` adds

    GET    /v1/calls                     search (see :mod:`services.query.calls_params`)
    GET    /v1/calls/{id}                one call and the associations interested in it
    GET    /v1/calls.ics | /v1/calls.rss deadlines as a calendar, new calls as a feed
    GET    /v1/search                    one search across kinds (events, calls, associations),
                                         kind facet, cursor (:mod:`services.query.search`)
    POST   /v1/calls/{id}/interests      declare interest (association bearer token; deprecated:
                                         members of an association use the call's page)
    DELETE /v1/calls/{id}/interests      withdraw it (deprecated likewise)
    POST   /v1/alerts, GET /v1/alerts, DELETE /v1/alerts/{id}    saved-search alerts

Writes need ``Authorization: Bearer mlg_...`` (tokens issued by operators); see
:mod:`services.query.calls_social`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.query.calls_feeds import calls_ics, calls_rss
from services.query.calls_params import parse_call_query
from services.query.context import SETTINGS, TZ, base_url
from services.query.errors import ApiError, invalid_parameter
from shared.store.calls_base import CallQuery, CallSort, CallsStore
from shared.store.factory import open_call_store

CALL_STORE = web.AppKey("call_store", CallsStore)
ALLOW_PRIVATE = web.AppKey("alerts_allow_private", bool)
EXPORT_MAX = 500
KINDS = ("event", "call", "association")


def _settings(app: web.Application) -> Any:
    return app[SETTINGS]


def call_query(request: web.Request, **overrides: Any) -> CallQuery:
    app = request.app
    return parse_call_query(
        request.rel_url.query, tz=app[TZ], now=datetime.now(UTC),
        max_limit=getattr(_settings(app), "max_limit", 100), **overrides,
    )


async def search_calls(request: web.Request, query: CallQuery) -> Any:
    try:
        return await request.app[CALL_STORE].search(query)
    except ValueError as exc:
        raise invalid_parameter("cursor", str(exc)) from None


async def list_calls(request: web.Request) -> web.Response:
    query = call_query(request)
    page = await search_calls(request, query)
    body: dict[str, Any] = {"total": page.total, "items": page.items, "next": page.next}
    if query.facets:
        body["facets"] = page.facets
    return web.json_response(body)


async def get_call(request: web.Request) -> web.Response:
    store = request.app[CALL_STORE]
    cid = request.match_info["id"]
    doc = await store.get(cid)
    if doc is None:
        raise ApiError(404, "no such call", details={"id": cid})
    return web.json_response({"item": doc, "interests": await call_interests(request, cid)})


async def call_interests(request: web.Request, cid: str) -> list[dict[str, Any]]:
    """The associations interested in a call (records of :mod:`services.associations.interests`);
    none while the store of record cannot be reached."""
    from services.accounts.web import SITE
    from services.associations import interests

    stores = request.app[SITE].stores
    return await interests.of_call(stores.records, cid) if stores is not None else []


async def export_docs(request: web.Request, **overrides: Any) -> list[dict[str, Any]]:
    query = call_query(request, limit=EXPORT_MAX, cursor=None, facets=False, **overrides)
    items: list[dict[str, Any]] = (await search_calls(request, query)).items
    return items


async def calls_ics_export(request: web.Request) -> web.Response:
    docs = await export_docs(request)
    body = calls_ics(docs, base_url(request), "Maillage – dates limites des appels à projets")
    return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=300"})


async def calls_rss_export(request: web.Request) -> web.Response:
    docs = await export_docs(request, sort=CallSort.NEW)
    self_url = base_url(request) + str(request.rel_url)
    body = calls_rss(docs, base_url(request), self_url, "Maillage – appels à projets")
    return web.Response(body=body, content_type="application/rss+xml", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=300"})


async def search_all(request: web.Request) -> web.Response:
    """Events, calls and associations for one text query (see :mod:`services.query.search`)."""
    from services.query.search import cross_kind_search

    return web.json_response(await cross_kind_search(request))


def setup_calls(app: web.Application, store: CallsStore | None = None,
                allow_private: bool | None = None) -> None:
    """Add the calls routes; ``store`` defaults to the configured calls store."""
    from services.query.calls_social import setup_social

    app[CALL_STORE] = store if store is not None else open_call_store(_settings(app))
    app[ALLOW_PRIVATE] = bool(
        allow_private if allow_private is not None
        else getattr(_settings(app), "allow_private", False)
    )
    app.router.add_get("/v1/calls", list_calls)
    app.router.add_get("/v1/calls.ics", calls_ics_export)
    app.router.add_get("/v1/calls.rss", calls_rss_export)
    app.router.add_get("/v1/calls/{id}", get_call)
    app.router.add_get("/v1/search", search_all)
    setup_social(app)

    async def close_store(app: web.Application) -> None:
        await app[CALL_STORE].close()

    app.on_cleanup.append(close_store)
