"""Exports of any search: ``/v1/events.{ics,rss,jsonld,csv}``, with the search parameters.

An export reads the search page by page (cursor pagination) up to ``limit`` occurrences,
itself capped by ``MAILLAGE_EXPORT_MAX``. Unlike the API, ``from`` defaults to the start of
the current day, so the same URL gives the same bytes all day (and a stable ETag). The ICS
export also lists cancelled occurrences (``STATUS:CANCELLED``) unless ``status`` or
``include_cancelled`` says otherwise: a subscribed calendar then shows the cancellation
instead of silently losing the event.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time
from types import ModuleType
from typing import Any

from aiohttp import web

from services.query.context import SETTINGS, TZ, base_url, public_item, run_search
from services.query.context import now as clock_now
from services.query.exports import csv, ics, jsonld, rss
from services.query.exports.feed import Feed
from services.query.exports.naming import selection_name
from services.query.params import parse_search
from services.query.web.fr import typo
from shared.store.base import SearchQuery

FORMATS: dict[str, ModuleType] = {"ics": ics, "rss": rss, "jsonld": jsonld, "csv": csv}
#: Exports people read as text (calendars, feed readers): French typography, as on the pages.
#: JSON-LD and CSV are data for programs and keep the texts as the sources wrote them.
TYPESET = frozenset({"ics", "rss"})
TYPESET_FIELDS = ("title", "description_text", "organizer", "price")
PAGE = 250  # occurrences per store call
DESCRIPTION = "Événements des associations de Rennes et de Rennes Métropole, réunis par Maillage."


def export_query(request: web.Request, fmt: str) -> tuple[SearchQuery, int]:
    """The search of an export and how many occurrences it may hold in all."""
    tz = request.app[TZ]
    cap = request.app[SETTINGS].export_max
    now = clock_now(request)
    midnight = datetime.combine(now.astimezone(tz).date(), time.min, tz)
    params = request.rel_url.query
    query = parse_search(params, tz=tz, now=now, max_limit=cap, default_start=midnight)
    total = query.limit if "limit" in params else cap
    changes: dict[str, Any] = {"facets": False, "limit": min(total, PAGE)}
    if fmt == "ics" and "status" not in params and "include_cancelled" not in params:
        changes["include_cancelled"] = True
    return dataclasses.replace(query, **changes), total


async def collect(request: web.Request, query: SearchQuery, total: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while len(items) < total:
        page = await run_search(request, query)
        items.extend(public_item(d) for d in page.items[: total - len(items)])
        if page.next is None or not page.items:
            break
        query = dataclasses.replace(query, cursor=page.next,
                                    limit=min(PAGE, total - len(items)))
    return items


def typeset(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The texts of ``items`` through :func:`services.query.web.fr.typo` (in place: the
    export owns these documents)."""
    for item in items:
        for name in TYPESET_FIELDS:
            value = item.get(name)
            if isinstance(value, str) and value:
                item[name] = typo(value)
    return items


def make_feed(request: web.Request, query: SearchQuery) -> Feed:
    base = base_url(request)
    settings = request.app[SETTINGS]
    qs = request.rel_url.query_string
    tz = request.app[TZ]
    today = datetime.combine(clock_now(request).astimezone(tz).date(), time.min, tz)
    # what the calendar holds ("Agenda Maillage — Sport, week-end du samedi 5 décembre")
    title = selection_name(request.rel_url.query, today.date(), settings.calendar_name)
    return Feed(
        title=title,
        description=DESCRIPTION,
        base_url=base,
        self_url=base + str(request.rel_url),
        html_url=base + "/" + (f"?{qs}" if qs else ""),
        tz=tz,
        generated=today,
    )


def export_route(fmt: str) -> Any:
    module = FORMATS[fmt]

    async def handler(request: web.Request) -> web.Response:
        query, total = export_query(request, fmt)
        items = await collect(request, query, total)
        if fmt in TYPESET:
            typeset(items)
        body = module.render(items, make_feed(request, query))
        response = web.Response(body=body, content_type=module.CONTENT_TYPE, charset="utf-8")
        disposition = "attachment" if fmt == "csv" else "inline"
        response.headers["Content-Disposition"] = f'{disposition}; filename="maillage.{fmt}"'
        return response

    handler.__name__ = f"export_{fmt}"
    return handler


def setup(app: web.Application) -> None:
    for fmt in FORMATS:
        app.router.add_get(f"/v1/events.{fmt}", export_route(fmt))
