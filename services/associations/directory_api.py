"""The directory's JSON API, read from the search projection (:mod:`shared.store.directory_base`):

    GET /v1/associations             search: q (words), theme, rna_theme, quartier, commune,
                                     tool, state (active, dissolved), has_events (true,
                                     false), facets, limit, cursor
    GET /v1/associations.csv         the same search exported (every result, up to
    GET /v1/associations.json        :data:`EXPORT_MAX`), CSV (RFC 4180) or JSON

"Has upcoming events" compares each association's names (its name and the organizer names
declared or linked to it) and its sources with the organizers and the sources of the upcoming
events in the events' store, read at most every :data:`ORGANIZERS_TTL` seconds.

The pages (:mod:`services.associations.directory_pages`) search the same store through the
same :func:`parse_query` and :func:`run_query`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from services.query.context import SETTINGS, STORE, json_response
from services.query.errors import invalid_parameter
from services.query.params import list_values, parse_bool, single
from shared.errors import ConfigError
from shared.reference import metropole_communes, reference_dir
from shared.store.directory_base import (
    DirectoryQuery,
    DirectoryStore,
    organizer_key,
    source_key,
)
from shared.store.factory import open_directory_store
from shared.store.suggest import folded
from shared.taxonomy import THEMES
from shared.vocab import TOOLS

log = logging.getLogger(__name__)
DIRECTORY = web.AppKey("directory", DirectoryStore)
#: The communes of Rennes Métropole (folded names), read once from the reference data.
COMMUNES = web.AppKey("directory_communes", dict)
ORGANIZERS = web.AppKey("directory_organizers", dict)
#: Seconds the organizers of upcoming events are reused before being read again.
ORGANIZERS_TTL = 30.0
#: Organizers of upcoming events read at most (under Elasticsearch's bucket limit).
MAX_ORGANIZERS = 10_000
#: Associations an export reads at most.
EXPORT_MAX = 5000
THEME_CODES = frozenset(t.code for t in THEMES)
STATES = ("active", "dissolved")
RNA_CODE = re.compile(r"\d{6}")
MAX_Q = 200
KNOWN = frozenset({"q", "theme", "rna_theme", "quartier", "commune", "tool", "state",
                   "has_events", "facets", "limit", "cursor"})
CSV_COLUMNS = ("id", "name", "acronym", "state", "rna", "siren", "siret", "commune", "insee",
               "quartier", "address", "themes", "rna_themes", "quartiers", "tools", "website",
               "purpose")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def parse_query(params: MultiMapping[str], max_limit: int,
                communes: frozenset[str] | None = None) -> DirectoryQuery:
    """The validated query of a request (400 in the one error shape on bad input);
    ``communes``: the folded names of the Métropole's communes (:func:`metropole`), when
    known, that a ``commune`` must be one of."""
    for name in params:
        if name not in KNOWN:
            raise invalid_parameter(name, "unknown parameter")
    q = (single(params, "q") or "").strip() or None
    if q is not None and len(q) > MAX_Q:
        raise invalid_parameter("q", f"at most {MAX_Q} characters")
    themes = list_values(params, "theme")
    for theme in themes:
        if theme not in THEME_CODES:
            raise invalid_parameter("theme", f"unknown value {theme!r}; see /v1/themes")
    rna_themes = list_values(params, "rna_theme")
    for code in rna_themes:
        if not RNA_CODE.fullmatch(code):
            raise invalid_parameter("rna_theme", f"{code!r} is not a 6-digit RNA code")
    for commune in list_values(params, "commune"):
        if communes and folded(commune) not in communes:
            raise invalid_parameter("commune", f"{commune!r} is not a commune of Rennes "
                                    "Métropole")
    tools = list_values(params, "tool")
    for tool in tools:
        if tool not in TOOLS:
            raise invalid_parameter("tool", f"unknown value {tool!r}; one of the codes of "
                                    "the tools' inventory (/outils)")
    states = list_values(params, "state")
    for state in states:
        if state not in STATES:
            raise invalid_parameter("state", f"unknown value {state!r}; active or dissolved")
    raw_events = single(params, "has_events")
    has_events = parse_bool("has_events", raw_events) if raw_events else None
    raw_facets = single(params, "facets")
    facets = parse_bool("facets", raw_facets) if raw_facets else False
    raw_limit = single(params, "limit")
    limit = 20
    if raw_limit:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise invalid_parameter("limit", "expected an integer") from None
        if not 1 <= limit <= max_limit:
            raise invalid_parameter("limit", f"must be between 1 and {max_limit}")
    return DirectoryQuery(q=q, themes=themes, rna_themes=rna_themes,
                          quartiers=list_values(params, "quartier"),
                          communes=list_values(params, "commune"),
                          tools=tools, states=states,
                          has_events=has_events, limit=limit,
                          cursor=single(params, "cursor") or None, facets=facets)


async def metropole(app: web.Application) -> frozenset[str] | None:
    """The folded names of the communes of Rennes Métropole, from the reference data
    (``MAILLAGE_REFERENCE_DIR``), read once; ``None`` when they are missing."""
    held = app[COMMUNES]
    if "names" not in held:
        configured = getattr(app[SETTINGS], "reference_dir", "") or ""
        directory = reference_dir({"MAILLAGE_REFERENCE_DIR": configured} if configured
                                  else {})
        try:
            names = await asyncio.to_thread(metropole_communes, directory)
        except (ConfigError, OSError):
            log.warning("communes of the Métropole unknown: the commune filter is not checked")
            names = {}
        held["names"] = frozenset(folded(n) for n in names.values()) or None
    found: frozenset[str] | None = held["names"]
    return found


async def organizers_with_events(app: web.Application) -> frozenset[str]:
    """The organizer names (:func:`organizer_key`) and the sources (:func:`source_key`) of
    upcoming events."""
    cached = app[ORGANIZERS]
    if cached and time.monotonic() - cached["at"] < ORGANIZERS_TTL:
        return frozenset(cached["names"])
    now = datetime.now(UTC)
    organizers, sources = await asyncio.gather(
        app[STORE].terms("organizer", start=now, limit=MAX_ORGANIZERS),
        app[STORE].terms("sources", start=now, limit=MAX_ORGANIZERS))
    names = frozenset({organizer_key(str(t["value"])) for t in organizers if t.get("value")}
                      | {source_key(str(t["value"])) for t in sources if t.get("value")})
    cached.update(at=time.monotonic(), names=names)
    return names


async def run_query(request: web.Request, query: DirectoryQuery) -> Any:
    if query.has_events is not None or query.facets:
        query = replace(query, organizers_with_events=await organizers_with_events(
            request.app))
    try:
        return await request.app[DIRECTORY].search(query)
    except ValueError as exc:
        raise invalid_parameter("cursor", str(exc) or "malformed cursor") from None


def _max_limit(request: web.Request) -> int:
    return int(getattr(request.app[SETTINGS], "max_limit", 100))


async def search_associations(request: web.Request) -> web.Response:
    query = parse_query(request.rel_url.query, _max_limit(request),
                        await metropole(request.app))
    page = await run_query(request, query)
    body: dict[str, Any] = {"total": page.total, "items": page.items, "next": page.next}
    if query.facets:
        body["facets"] = page.facets
    response = json_response(body)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


async def _everything(request: web.Request) -> list[dict[str, Any]]:
    params = request.rel_url.query
    for name in ("limit", "cursor", "facets"):
        if name in params:
            raise invalid_parameter(name, "not for an export: it reads every result")
    query = replace(parse_query(params, 100, await metropole(request.app)), limit=100)
    items: list[dict[str, Any]] = []
    while len(items) < EXPORT_MAX:
        page = await run_query(request, query)
        items += page.items
        if page.next is None:
            break
        query = replace(query, cursor=page.next)
    return items[:EXPORT_MAX]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        text = "|".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = ", ".join(str(v) for v in value.values() if v)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(items: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow([_cell(item.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()


async def export_csv(request: web.Request) -> web.Response:
    response = web.Response(text=to_csv(await _everything(request)), content_type="text/csv",
                            charset="utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="associations.csv"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


async def export_json(request: web.Request) -> web.Response:
    items = await _everything(request)
    response = json_response({"total": len(items), "items": items})
    response.headers["Content-Disposition"] = 'attachment; filename="associations.json"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def setup_directory(app: web.Application, store: DirectoryStore | None = None) -> None:
    """Mount the directory's API; ``store`` defaults to the configured directory store."""
    if DIRECTORY not in app:
        app[DIRECTORY] = store if store is not None else open_directory_store(app[SETTINGS])
    app[ORGANIZERS] = {}
    app[COMMUNES] = {}
    app.router.add_get("/v1/associations", search_associations)
    app.router.add_get("/v1/associations.csv", export_csv)
    app.router.add_get("/v1/associations.json", export_json)

    async def close(app: web.Application) -> None:
        await app[DIRECTORY].close()

    app.on_cleanup.append(close)
