"""The public directory and the inventory of tools (French pages, without JavaScript).

    GET /associations        search by words, filters with counts (themes, quartiers,
                             communes, tools, has upcoming events), the list, and a map of
                             the placed ones (the agenda's map: Leaflet, the list stays)
    GET /outils              the tools associations use: how many use each (declared or seen
                             by Maillage), by theme and quartier, which Maillage harvests, and
                             how to join

The pages read the directory's projection (:mod:`shared.store.directory_base`, written by the
indexer from the store of record) through the API's own query parsing and search
(:func:`~services.associations.directory_api.parse_query`,
:func:`~services.associations.directory_api.run_query`): the French parameters (``outil``,
``a_venir``, ``page``) are the API's (``tool``, ``has_events``, ``cursor``), so a page and
``/v1/associations`` give the same results, facets and counts for the same search.

:func:`association_extras` gives the association page what the directory knows: themes,
quartiers, place, upcoming events from the agenda, the calls it teamed up on, its sources and
tools, the links to the official registers and its schema.org JSON-LD.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDict

from services.accounts.web import SITE, page
from services.associations.directory_api import (
    DIRECTORY,
    metropole,
    organizers_with_events,
    parse_query,
    run_query,
)
from services.associations.interests import INTEREST
from services.associations.model import LINK_KINDS, Association
from services.associations.tools import tools_of
from services.query.context import STORE, TZ, base_url
from services.query.errors import ApiError
from services.query.web import fr
from services.query.web.event import script_json
from services.query.web.respond import JINJA
from services.query.web.search import PARAM_ERRORS
from services.query.web.views import options
from shared.records import token
from shared.store.base import SearchPage, SearchQuery
from shared.store.directory_base import (
    MAX_OFFSET,
    DirectoryQuery,
    encode_offset,
    event_keys,
)
from shared.taxonomy import THEME_BY_CODE
from shared.vocab import TOOL_FAMILIES, TOOLS

log = logging.getLogger(__name__)

#: The official registers' pages (the State's directory of companies and associations).
RNA_URL = "https://annuaire-entreprises.data.gouv.fr/rechercher?{}"
SIREN_URL = "https://annuaire-entreprises.data.gouv.fr/entreprise/{}"
UPCOMING_LIMIT = 8
MAX_Q = 200
PAGE = 20
#: The last page a search can show (the stores page at most :data:`MAX_OFFSET` deep).
LAST_PAGE = MAX_OFFSET // PAGE + 1
#: The page's filters and the API's parameters they are.
FILTERS = {"theme": "theme", "quartier": "quartier", "commune": "commune", "outil": "tool"}
#: The French message of a refused filter, by the API's parameter (the agenda's for a theme).
FILTER_ERRORS = {"theme": PARAM_ERRORS["theme"], "q": PARAM_ERRORS["q"],
                 "tool": "Un des outils demandés n’existe pas.",
                 "commune": "Une des communes demandées n’est pas dans Rennes Métropole."}
GENERIC_ERROR = "Un des critères de recherche n’est pas valide."


def rna_url(rna: str) -> str:
    return RNA_URL.format(urlencode({"terme": rna}))


def french_day(iso: str) -> str:
    """``2015-09-30`` as ``30 septembre 2015`` (``1er`` for the first); the text as is when
    it is not a date."""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{day.day}{'er' if day.day == 1 else ''} {fr.MONTHS[day.month - 1]} {day.year}"


def theme_label(code: str) -> str:
    theme = THEME_BY_CODE.get(code)
    return theme.label if theme else code


def tool_label(code: str) -> str:
    tool = TOOLS.get(code)
    return tool.label if tool else code


def _values(request: web.Request, name: str) -> list[str]:
    return [v.strip() for v in request.query.getall(name, []) if v.strip()][:50]


def _url(params: dict[str, list[str]], **change: Any) -> str:
    merged = {k: list(v) for k, v in params.items() if v}
    for key, value in change.items():
        if value in (None, "", []):
            merged.pop(key, None)
        else:
            merged[key] = value if isinstance(value, list) else [str(value)]
    query = urlencode([(k, v) for k, vs in merged.items() for v in vs])
    return "/associations" + ("?" + query if query else "")


def api_params(q: str, chosen: dict[str, list[str]], upcoming: bool,
               number: int) -> MultiDict[str]:
    """The API's parameters of the page's search (``/v1/associations`` gives the same)."""
    params: MultiDict[str] = MultiDict()
    if q:
        params.add("q", q)
    for name, api_name in FILTERS.items():
        for value in chosen[name]:
            params.add(api_name, value)
    if upcoming:
        params.add("has_events", "true")
    params.add("facets", "true")
    params.add("limit", str(PAGE))
    if number > 1:
        params.add("cursor", encode_offset((number - 1) * PAGE))
    return params


def shown(doc: dict[str, Any], busy: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A directory document as the pages show it: its quartiers (the head office's first),
    and whether it has upcoming events (``busy``: :func:`organizers_with_events`)."""
    quartiers = [doc.get("quartier"), *(doc.get("quartiers") or ())]
    return {**doc, "quartiers": list(dict.fromkeys(q for q in quartiers if q)),
            "upcoming": bool(busy.intersection(event_keys(doc)))}


def counts(facets: dict[str, list[dict[str, Any]]], name: str) -> dict[str, int]:
    return {str(f["value"]): int(f["count"]) for f in facets.get(name) or ()}


async def directory_page(request: web.Request) -> web.Response:
    q = " ".join(request.query.get("q", "").split())[:MAX_Q]
    chosen = {name: _values(request, name) for name in FILTERS}
    upcoming = request.query.get("a_venir", "") in ("oui", "1", "true")
    try:  # huge numbers stop at the last page a search can show, never crash
        number = max(1, min(int(request.query.get("page", "1")), LAST_PAGE))
    except ValueError:
        number = 1
    error, status = "", 200
    try:  # refused like the API refuses it, in French, the filters kept removable
        query = parse_query(api_params(q, chosen, upcoming, number), PAGE,
                            await metropole(request.app))
        found, busy = await asyncio.gather(run_query(request, query),
                                           organizers_with_events(request.app))
    except ApiError as exc:
        parameter = str(exc.body_data.get("error", {}).get("details", {}).get("parameter"))
        error, status = FILTER_ERRORS.get(parameter, GENERIC_ERROR), 400
        found, busy = SearchPage(total=0, items=[]), frozenset()
    items = [shown(doc, busy) for doc in found.items]
    params = {"q": [q] if q else [], **chosen, "a_venir": ["oui"] if upcoming else []}
    facets = found.facets or {}
    filters = {
        "themes": options(counts(facets, "theme"), chosen["theme"], theme_label,
                          order=THEME_BY_CODE),
        "quartiers": options(counts(facets, "quartier"), chosen["quartier"], str),
        "communes": options(counts(facets, "commune"), chosen["commune"], str),
        "tools": options(counts(facets, "tool"), chosen["outil"], tool_label, order=TOOLS),
        "upcoming": counts(facets, "has_events").get("true", 0),
    }
    chips = [(f"{label}\u00a0: {show(v)}", _url(params, **{key: [x for x in vals if x != v]}))
             for key, label, show in (("theme", "Thème", theme_label),
                                      ("quartier", "Quartier", str),
                                      ("commune", "Commune", str),
                                      ("outil", "Outil", tool_label))
             for vals in [chosen[key]] for v in vals]
    if upcoming:
        chips.append(("Avec des événements à venir", _url(params, a_venir=None)))
    pages = min(LAST_PAGE, max(1, -(-found.total // PAGE)))
    past_end = number > pages and found.total > 0
    if past_end:
        status = 404
    return page(request, "associations/directory.html", status=status, q=q,
                total=found.total, items=items, error=error,
                filters=filters, chips=chips, upcoming=upcoming, hidden=params,
                number=number, pages=pages, past_end=past_end,
                last_url=_url(params, page=pages if pages > 1 else None),
                prev_url=_url(params, page=min(number - 1, pages) if number > 2 else None)
                if number > 1 and not past_end else None,
                next_url=_url(params, page=number + 1) if number < pages else None,
                clear_url="/associations" if chips or q else None,
                map_data=[_place(e) for e in items if e.get("lat") is not None],
                theme_label=theme_label, nav="associations")


def _place(entry: dict[str, Any]) -> dict[str, Any]:
    """One association as the agenda's map script draws a place."""
    where = " · ".join(p for p in (entry["quartiers"][0] if entry["quartiers"] else "",
                                   entry.get("commune") or "") if p)
    return {"name": entry["name"], "label": entry["name"], "lat": entry["lat"],
            "lon": entry["lon"], "commune_only": False, "more": 0,
            "events": [{"url": f"/associations/{entry['id']}", "title": "Voir sa fiche",
                        "when": where}]}


# -- the association page -----------------------------------------------------------------------

async def upcoming_events(request: web.Request, entry: dict[str, Any]
                          ) -> list[dict[str, Any]]:
    """The next events of the agenda published under its names or by its sources."""
    store = request.app[STORE]
    now = datetime.now(UTC)
    queries = []
    if entry.get("organizers"):
        queries.append(SearchQuery(organizers=tuple(entry["organizers"]), start=now,
                                   limit=UPCOMING_LIMIT))
    if entry.get("sources"):
        queries.append(SearchQuery(sources=tuple(s["id"] for s in entry["sources"]),
                                   start=now, limit=UPCOMING_LIMIT))
    pages = await asyncio.gather(*(store.search(q) for q in queries))
    seen: dict[str, dict[str, Any]] = {}
    for found in pages:
        for doc in found.items:
            seen.setdefault(doc["id"], doc)
    docs = sorted(seen.values(), key=lambda d: d.get("start_ts") or 0)[:UPCOMING_LIMIT]
    tz = request.app[TZ]
    today = datetime.now(tz).date()
    return [{"id": d["id"], "title": d["title"], "when": fr.period(d, tz, today),
             "place": fr.place_label(d)} for d in docs]


async def teamed_calls(request: web.Request, aid: str) -> list[dict[str, Any]]:
    """The calls for projects it declared it would apply to jointly."""
    from services.query.calls_routes import CALL_STORE

    stores = request.app[SITE].stores
    if stores is None or CALL_STORE not in request.app:
        return []
    records = stores.records
    entries = await records.latest(f"{records.prefix}.{INTEREST}.*.{token(aid)}")
    out = []
    for e in entries:
        if e.record.get("hidden"):
            continue
        call = await request.app[CALL_STORE].get(str(e.record.get("call")))
        if call is not None:
            out.append({"id": call["id"], "title": call.get("title") or call["id"],
                        "status": call.get("status")})
    return out


def organization_ld(association: Association, entry: dict[str, Any] | None, url: str) -> str:
    """schema.org NGO (an Organization) with its identifiers and other pages."""
    identifiers = [{"@type": "PropertyValue", "propertyID": name, "value": value}
                   for name, value in (("RNA", association.rna), ("RNA (ancien numéro)",
                                                                    association.rna_old),
                                       ("SIREN", association.siren),
                                       ("SIRET", association.siret)) if value]
    same_as = [u for u in (association.website, *association.links.values()) if u]
    if association.siren:
        same_as.append(SIREN_URL.format(association.siren))
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "NGO", "@id": url, "url": url,
        "name": association.name}
    alternate = [n for n in (association.acronym, *association.aliases) if n]
    if alternate:
        data["alternateName"] = alternate
    if association.purpose:
        data["description"] = association.purpose
    if identifiers:
        data["identifier"] = identifiers
    if same_as:
        data["sameAs"] = same_as
    if association.address:
        address = association.address
        data["address"] = {"@type": "PostalAddress", **{k: v for k, v in (
            ("streetAddress", address.street), ("postalCode", address.postcode),
            ("addressLocality", address.city), ("addressCountry", "FR")) if v}}
    if association.founded:
        data["foundingDate"] = association.founded
    if association.dissolved_on:
        data["dissolutionDate"] = association.dissolved_on
    if entry is not None:
        if entry.get("lat") is not None:
            data["location"] = {"@type": "Place", "geo": {
                "@type": "GeoCoordinates", "latitude": entry["lat"],
                "longitude": entry["lon"]}}
        if entry["quartiers"]:
            data["areaServed"] = [{"@type": "Place", "name": q} for q in entry["quartiers"]]
        if entry.get("themes"):
            data["knowsAbout"] = [theme_label(t) for t in entry["themes"]]
    return script_json(data)


async def association_extras(request: web.Request, association: Association
                             ) -> dict[str, Any]:
    """What the association page shows beyond the record: see the module's documentation."""
    from services.network.map_pages import association_links

    directory = request.app.get(DIRECTORY)
    doc = await directory.get(association.id) if directory is not None else None
    entry = shown(doc) if doc is not None else None
    url = f"{base_url(request)}/associations/{association.id}"
    events: list[dict[str, Any]] = []
    if entry is not None:
        try:
            events = await upcoming_events(request, entry)
        except Exception:  # noqa: BLE001 - the page stays without them
            log.warning("upcoming events unavailable", exc_info=True)
    seen = [code for code in entry.get("tools") or ()
            if code not in (entry.get("declared_tools") or ())] if entry else []
    return {"entry": entry, "events": events,
            "tools": tools_of(association.tools, seen),  # the record's, as just written
            "calls": await teamed_calls(request, association.id),
            "network": await association_links(request.app, association.id),
            "json_ld": organization_ld(association, entry, url), "page_url": url,
            "rna_url": rna_url(association.rna) if association.rna else "",
            "siren_url": SIREN_URL.format(association.siren) if association.siren else "",
            "dissolved_on": french_day(association.dissolved_on)
            if association.dissolved_on else "",
            "theme_label": theme_label, "tool_label": tool_label, "link_kinds": LINK_KINDS,
            "tool_families": TOOL_FAMILIES}


# -- the inventory of tools --------------------------------------------------------------------

async def inventory(request: web.Request) -> dict[str, Any]:
    """Per tool, how many active associations use it (declared or detected), by theme and
    quartier, and how many of those Maillage harvests: facet counts of the directory."""
    directory = request.app[DIRECTORY]
    active = DirectoryQuery(states=("active",), facets=True, limit=1)
    everyone, with_tools = await asyncio.gather(
        directory.search(active), directory.search(replace(active, tools=tuple(TOOLS),
                                                           facets=False)))
    facets = everyone.facets or {}
    used = counts(facets, "tool")
    declared, harvested = counts(facets, "declared_tool"), counts(facets, "harvested_tool")
    each = await asyncio.gather(*(directory.search(replace(active, tools=(code,)))
                                  for code in used))
    tools: dict[str, dict[str, Any]] = {}
    for code, found in zip(used, each, strict=True):
        of = found.facets or {}
        tools[code] = {"count": used[code], "declared": declared.get(code, 0),
                       "detected": used[code] - declared.get(code, 0),
                       "harvested": harvested.get(code, 0),
                       "themes": list(counts(of, "theme").items())[:3],
                       "quartiers": list(counts(of, "quartier").items())[:3]}
    return {"associations": everyone.total, "with_tools": with_tools.total, "tools": tools}


async def tools_page(request: web.Request) -> web.Response:
    found = await inventory(request)
    families = []
    for family, family_label in TOOL_FAMILIES.items():
        rows = []
        for tool in TOOLS.values():
            if tool.family != family:
                continue
            row = found["tools"].get(tool.code)
            rows.append({
                "code": tool.code, "label": tool.label, "harvest": bool(tool.harvest),
                "count": row["count"] if row else 0,
                "declared": row["declared"] if row else 0,
                "detected": row["detected"] if row else 0,
                "harvested": row["harvested"] if row else 0,
                "themes": [(theme_label(t), n) for t, n in row["themes"]] if row else [],
                "quartiers": row["quartiers"] if row else [],
                "url": _url({}, outil=tool.code)})
        rows.sort(key=lambda r: (-r["count"], r["label"].casefold()))
        families.append({"code": family, "label": family_label, "rows": rows,
                         "used": sum(1 for r in rows if r["count"])})
    return page(request, "associations/tools.html", families=families,
                total=found["associations"], with_tools=found["with_tools"], nav="outils")


# -- wiring ------------------------------------------------------------------------------------

def setup(app: web.Application) -> None:
    """The pages; the directory's store is the API's (``app[DIRECTORY]``, mounted by
    :func:`services.associations.directory_api.setup_directory`)."""
    app[JINJA].globals.update(tool_families=TOOL_FAMILIES, tools_vocabulary=TOOLS)
    app.router.add_get("/associations", directory_page)
    app.router.add_get("/outils", tools_page)
