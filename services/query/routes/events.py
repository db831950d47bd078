"""``GET /v1/events`` (search) and ``GET /v1/events/{id}`` (one occurrence and its family)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from services.query.context import (
    STORE,
    json_response,
    public_item,
    run_search,
    search_query,
    strip_internal,
)
from services.query.errors import ApiError
from shared.taxonomy import theme_label
from shared.vocab import ACCESSIBILITY, AUDIENCES


#: facet name (as the store names it) -> French label of a value
def accessibility_label(code: str) -> str:
    return ACCESSIBILITY.get(code, code)


def audience_label(code: str) -> str:
    return AUDIENCES.get(code, code)


FACET_LABELS: dict[str, Callable[[str], str]] = {
    "themes": theme_label,
    "theme": theme_label,
    "accessibility": accessibility_label,
    "audience": audience_label,
    "audiences": audience_label,
}
RELATED_LIMIT = 6


def labelled_facets(facets: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name, buckets in facets.items():
        label = FACET_LABELS.get(name)
        out[name] = buckets if label is None else [
            {**b, "label": label(str(b["value"]))} for b in buckets]
    return out


async def list_events(request: web.Request) -> web.Response:
    query = search_query(request)
    page = await run_search(request, query)
    items = strip_internal(page.items)  # with title_html and snippet for q
    body: dict[str, Any] = {"total": page.total, "items": items, "next": page.next}
    if query.facets:
        body["facets"] = labelled_facets(page.facets)
    return json_response(body)


def merged_sources(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every source an event came from, once each, in order of appearance."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for doc in docs:
        for source in doc.get("sources") or ():
            key = (source.get("source_id"), source.get("event_id"), source.get("url"))
            seen.setdefault(key, source)
    return list(seen.values())


async def get_event(request: web.Request) -> web.Response:
    store = request.app[STORE]
    doc_id = request.match_info["id"]
    doc = await store.get(doc_id)
    if doc is None:
        raise ApiError(404, "no such event", code="event_not_found", details={"id": doc_id})
    siblings = await store.event_docs(doc["event_id"])
    related = await store.related(doc, limit=RELATED_LIMIT)
    return json_response({
        "item": public_item(doc),
        "occurrences": [public_item(d) for d in siblings if d["id"] != doc["id"]],
        "sources": merged_sources([doc, *siblings]),
        "related": [public_item(d) for d in related],
    })


def setup(app: web.Application) -> None:
    app.router.add_get("/v1/events", list_events)
    app.router.add_get("/v1/events/{id}", get_event)
