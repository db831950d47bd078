"""The public directory and the inventory of tools (French pages, without JavaScript).

    GET /associations        search by words, filters with counts (themes, quartiers,
                             communes, tools, has upcoming events), the list, and a map of
                             the placed ones (the agenda's map: Leaflet, the list stays)
    GET /outils              the tools associations use: how many use each (declared or seen
                             by Maillage), by theme and quartier, which Maillage harvests, and
                             how to join

:func:`association_extras` gives the association page what the directory knows: themes,
quartiers, place, upcoming events from the agenda, the calls it teamed up on, its sources and
tools, the links to the official registers and its schema.org JSON-LD.

The pages read :class:`services.associations.directory.Directory` (``app[DIRECTORY]``), built
by :func:`setup` once the store of record is reachable and kept current.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from services.accounts.web import SITE, page
from services.associations.directory import PAGE, Directory, Entry
from services.associations.interests import INTEREST
from services.associations.model import LINK_KINDS, Association
from services.associations.tools import DETECTED, tools_of
from services.query.context import STORE, TZ, base_url
from services.query.web import fr
from services.query.web.event import script_json
from services.query.web.respond import JINJA
from services.query.web.views import options
from shared.records import token
from shared.store.base import SearchQuery
from shared.taxonomy import THEME_BY_CODE
from shared.vocab import TOOL_FAMILIES, TOOLS

log = logging.getLogger(__name__)

DIRECTORY = web.AppKey("associations_directory", Directory)
#: The official registers' pages (the State's directory of companies and associations).
RNA_URL = "https://annuaire-entreprises.data.gouv.fr/rechercher?{}"
SIREN_URL = "https://annuaire-entreprises.data.gouv.fr/entreprise/{}"
UPCOMING_LIMIT = 8
MAX_Q = 200


def rna_url(rna: str) -> str:
    return RNA_URL.format(urlencode({"terme": rna}))


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


def _directory(request: web.Request) -> Directory:
    return request.app[DIRECTORY]


async def directory_page(request: web.Request) -> web.Response:
    directory = _directory(request)
    q = " ".join(request.query.get("q", "").split())[:MAX_Q]
    chosen = {"theme": _values(request, "theme"), "quartier": _values(request, "quartier"),
              "commune": _values(request, "commune"), "outil": _values(request, "outil")}
    upcoming = request.query.get("a_venir", "") in ("oui", "1", "true")
    try:
        number = max(1, min(int(request.query.get("page", "1")), 10_000))
    except ValueError:
        number = 1
    found = directory.search(q, themes=chosen["theme"], quartiers=chosen["quartier"],
                             communes=chosen["commune"], tool_codes=chosen["outil"],
                             upcoming=upcoming, offset=(number - 1) * PAGE, limit=PAGE)
    params = {"q": [q] if q else [], **chosen, "a_venir": ["oui"] if upcoming else []}
    facets = found.facets
    filters = {
        "themes": options(dict(facets["theme"]), chosen["theme"], theme_label,
                          order=THEME_BY_CODE),
        "quartiers": options(dict(facets["quartier"]), chosen["quartier"], str),
        "communes": options(dict(facets["commune"]), chosen["commune"], str),
        "tools": options(dict(facets["tool"]), chosen["outil"], tool_label, order=TOOLS),
        "upcoming": facets["upcoming"].get("oui", 0),
    }
    chips = [(f"{label}\u00a0: {shown(v)}", _url(params, **{key: [x for x in vals if x != v]}))
             for key, label, shown in (("theme", "Thème", theme_label),
                                       ("quartier", "Quartier", str),
                                       ("commune", "Commune", str),
                                       ("outil", "Outil", tool_label))
             for vals in [chosen[key]] for v in vals]
    if upcoming:
        chips.append(("Avec des événements à venir", _url(params, a_venir=None)))
    placed = [e for e in found.items if e.lat is not None]
    pages = max(1, -(-found.total // PAGE))
    return page(request, "associations/directory.html", q=q, found=found, filters=filters,
                chips=chips, upcoming=upcoming, hidden=params, number=number, pages=pages,
                prev_url=_url(params, page=number - 1 if number > 2 else None)
                if number > 1 else None,
                next_url=_url(params, page=number + 1) if number < pages else None,
                clear_url="/associations" if chips or q else None,
                map_data=[_place(e) for e in placed], theme_label=theme_label,
                loaded=directory.loaded, nav="associations")


def _place(entry: Entry) -> dict[str, Any]:
    """One association as the agenda's map script draws a place."""
    where = " · ".join(p for p in (entry.quartiers[0] if entry.quartiers else "",
                                   entry.commune) if p)
    return {"name": entry.name, "label": entry.name, "lat": entry.lat, "lon": entry.lon,
            "commune_only": False, "more": 0,
            "events": [{"url": f"/associations/{entry.id}", "title": "Voir sa fiche",
                        "when": where}]}


# -- the association page -----------------------------------------------------------------------

async def upcoming_events(request: web.Request, entry: Entry) -> list[dict[str, Any]]:
    """The next events of the agenda published under its names or by its sources."""
    store = request.app[STORE]
    now = datetime.now(UTC)
    queries = []
    if entry.organizers:
        queries.append(SearchQuery(organizers=tuple(entry.organizers), start=now,
                                   limit=UPCOMING_LIMIT))
    if entry.sources:
        queries.append(SearchQuery(sources=tuple(s["id"] for s in entry.sources), start=now,
                                   limit=UPCOMING_LIMIT))
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


def organization_ld(association: Association, entry: Entry | None, url: str) -> str:
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
        if entry.lat is not None:
            data["location"] = {"@type": "Place", "geo": {
                "@type": "GeoCoordinates", "latitude": entry.lat, "longitude": entry.lon}}
        if entry.quartiers:
            data["areaServed"] = [{"@type": "Place", "name": q} for q in entry.quartiers]
        if entry.themes:
            data["knowsAbout"] = [theme_label(t) for t in entry.themes]
    return script_json(data)


async def association_extras(request: web.Request, association: Association
                             ) -> dict[str, Any]:
    """What the association page shows beyond the record: see the module's documentation."""
    directory = request.app.get(DIRECTORY)
    entry = directory.get(association.id) if directory is not None else None
    url = f"{base_url(request)}/associations/{association.id}"
    events: list[dict[str, Any]] = []
    if entry is not None:
        try:
            events = await upcoming_events(request, entry)
        except Exception:  # noqa: BLE001 - the page stays without them
            log.warning("upcoming events unavailable", exc_info=True)
    seen = [t["code"] for t in entry.tools if t["how"] == DETECTED] if entry else []
    return {"entry": entry, "events": events,
            "tools": tools_of(association.tools, seen),  # the record's, as just written
            "calls": await teamed_calls(request, association.id),
            "json_ld": organization_ld(association, entry, url), "page_url": url,
            "rna_url": rna_url(association.rna) if association.rna else "",
            "siren_url": SIREN_URL.format(association.siren) if association.siren else "",
            "theme_label": theme_label, "tool_label": tool_label, "link_kinds": LINK_KINDS,
            "tool_families": TOOL_FAMILIES}


# -- the inventory of tools --------------------------------------------------------------------

async def tools_page(request: web.Request) -> web.Response:
    directory = _directory(request)
    inventory = directory.inventory()
    families = []
    for family, family_label in TOOL_FAMILIES.items():
        rows = []
        for tool in TOOLS.values():
            if tool.family != family:
                continue
            row = inventory["tools"].get(tool.code)
            rows.append({
                "code": tool.code, "label": tool.label, "harvest": bool(tool.harvest),
                "count": row["count"] if row else 0,
                "declared": row["declared"] if row else 0,
                "detected": row["detected"] if row else 0,
                "harvested": row["harvested"] if row else 0,
                "themes": [(theme_label(t), n) for t, n in row["themes"].most_common(3)]
                if row else [],
                "quartiers": row["quartiers"].most_common(3) if row else [],
                "url": _url({}, outil=tool.code)})
        rows.sort(key=lambda r: (-r["count"], r["label"].casefold()))
        families.append({"code": family, "label": family_label, "rows": rows,
                         "used": sum(1 for r in rows if r["count"])})
    return page(request, "associations/tools.html", families=families,
                total=inventory["associations"], with_tools=inventory["with_tools"],
                loaded=directory.loaded, nav="outils")


# -- wiring ------------------------------------------------------------------------------------

def setup(app: web.Application) -> None:
    app[DIRECTORY] = Directory()
    app[JINJA].globals.update(tool_families=TOOL_FAMILIES, tools_vocabulary=TOOLS)
    app.router.add_get("/associations", directory_page)
    app.router.add_get("/outils", tools_page)
    tasks: list[asyncio.Task[None]] = []

    async def start(stores: Any) -> None:  # once connected to the store of record
        tasks.append(asyncio.create_task(app[DIRECTORY].follow(stores.bus, app[STORE])))

    app[SITE].on_ready.append(start)

    async def run(app: web.Application) -> AsyncIterator[None]:
        yield
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)

    app.cleanup_ctx.append(run)
