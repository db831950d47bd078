"""The list of venues, read from the board (never by scanning ``RECORDS``): the page
``/salles`` and the API ``GET /v1/venues`` share one reading of the filters.

Filters (page name / API name): keywords ``q``; ``quartier``; ``equipement`` /
``equipment`` and ``accessibilite`` / ``accessibility`` (every value asked for required); capacity
``capacite`` / ``capacity`` (at least that many people: one of :data:`CAPACITY_BANDS`); price
``prix_max`` / ``max_price`` (a rate at that many euros or less: one of
:data:`PRICE_BANDS`); ``libre_le`` / ``free_on`` (a date: venues with a free slot that day, the
``venue`` facet of the board's ``slot`` documents of that local day, then kept by their id).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from services.accounts.web import page
from services.query.errors import ApiError
from services.venues.model import CAPACITY_BANDS, EQUIPMENT, PRICE_BANDS, TZ, euros
from shared.store.board_base import BOARD, MAX_LIMIT, BoardQuery, BoardSort, BoardStore
from shared.vocab import ACCESSIBILITY

PAGE_SIZE = 20
PAGE_NAMES = {"q": "q", "quartier": "quartier", "equipment": "equipement",
              "accessibility": "accessibilite", "capacity": "capacite",
              "price": "prix_max", "free_on": "libre_le", "cursor": "page"}
API_NAMES = {"q": "q", "quartier": "quartier", "equipment": "equipment",
             "accessibility": "accessibility", "capacity": "capacity",
             "price": "max_price", "free_on": "free_on", "cursor": "cursor",
             "limit": "limit"}

#: The filters given at most once (a repeated one is refused, not read as its first value).
SINGLE = ("q", "capacity", "price", "free_on", "cursor", "limit")


def board(request: web.Request) -> BoardStore | None:
    """The site's board (``app[BOARD]``, opened by :func:`services.query.app.create_app`)."""
    return request.app.get(BOARD)


@dataclass
class Filters:
    q: str = ""
    quartier: list[str] = field(default_factory=list)
    equipment: list[str] = field(default_factory=list)
    accessibility: list[str] = field(default_factory=list)
    capacity: str = ""
    price: str = ""
    free_on: date | None = None
    cursor: str | None = None
    limit: int = PAGE_SIZE


def read_filters(query: Mapping[str, str], names: Mapping[str, str]) -> Filters:
    """The filters of a query string; :class:`ValueError` (field, French message) else."""
    known = set(names.values())
    unknown = sorted(k for k in query if k not in known)
    if unknown:
        raise ValueError(unknown[0], f"paramètre inconnu\u00a0: {unknown[0]}")
    if hasattr(query, "getall"):
        for key in SINGLE:
            if key in names and len(query.getall(names[key], [])) > 1:
                raise ValueError(names[key], "donné plus d’une fois")
    getall = query.getall if hasattr(query, "getall") else (lambda k, d: [query[k]]
                                                            if k in query else d)

    def many(key: str, vocabulary: Mapping[str, str] | None = None) -> list[str]:
        found = [v.strip() for v in getall(names[key], []) if v.strip()]
        if vocabulary is not None and any(v not in vocabulary for v in found):
            raise ValueError(names[key], "valeur inconnue")
        return list(dict.fromkeys(found))

    out = Filters(q=" ".join(str(query.get(names["q"], "")).split())[:200],
                  quartier=many("quartier")[:20], equipment=many("equipment", EQUIPMENT),
                  accessibility=many("accessibility", ACCESSIBILITY))
    capacity = str(query.get(names["capacity"], "")).strip()
    if capacity and capacity not in {str(b) for b in CAPACITY_BANDS}:
        raise ValueError(names["capacity"], "une des valeurs "
                         + ", ".join(str(b) for b in CAPACITY_BANDS))
    price = str(query.get(names["price"], "")).strip()
    if price and price not in {str(b) for b in PRICE_BANDS}:
        raise ValueError(names["price"], "une des valeurs "
                         + ", ".join(str(b) for b in PRICE_BANDS))
    out.capacity, out.price = capacity, price
    free = str(query.get(names["free_on"], "")).strip()
    if free:
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", free):
                raise ValueError(free)  # fromisoformat also reads 20261205 and 2026-W49-6
            out.free_on = date.fromisoformat(free)
        except ValueError:
            raise ValueError(names["free_on"], "une date AAAA-MM-JJ") from None
        if out.free_on < datetime.now(TZ).date():  # past slots stay on the board
            raise ValueError(names["free_on"], "une date à venir")
    out.cursor = str(query.get(names["cursor"])) if query.get(names["cursor"]) else None
    if "limit" in names and query.get(names["limit"]):
        raw = str(query[names["limit"]])
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
            raise ValueError("limit", f"un entier de 1 à {MAX_LIMIT}")
        out.limit = int(raw)
    return out


async def free_venues(board: BoardStore, day: date) -> list[str]:
    """The ids of the venues with a free slot on local ``day``: the ``venue`` facet's counts
    of that day's slots (one search, however many slots the day has)."""
    start = datetime.combine(day, time(), TZ)
    found = await board.search(BoardQuery(kind="slot", start=start.isoformat(),
                                          end=(start + timedelta(days=1)).isoformat(),
                                          limit=1, with_facets=True))
    return [str(f["value"]) for f in found.facets.get("venue", ()) if f["count"]]


async def search(board: BoardStore, filters: Filters, *, with_facets: bool = False
                 ) -> tuple[int, list[dict[str, Any]], str | None, dict[str, Any]]:
    facets: dict[str, tuple[str, ...]] = {}
    if filters.quartier:
        facets["quartier"] = tuple(filters.quartier)
    for name, chosen in (("equipment", filters.equipment),
                         ("accessibility", filters.accessibility)):
        facets |= {f"{name}.{code}": ("1",) for code in chosen}  # each one required
    if filters.capacity:
        facets["capacity"] = (filters.capacity,)
    if filters.price:
        facets["price"] = (filters.price,)
    if filters.free_on is not None:
        ids = await free_venues(board, filters.free_on)
        if not ids:
            return 0, [], None, {}
        facets["venue"] = tuple(ids)
    found = await board.search(BoardQuery(
        kind="venue", q=filters.q or None, facets=facets, limit=filters.limit,
        cursor=filters.cursor, with_facets=with_facets,
        sort=BoardSort.RELEVANCE if filters.q else BoardSort.RECENT))
    return found.total, found.items, found.next, found.facets


def public_item(doc: dict[str, Any]) -> dict[str, Any]:
    """A board document as the API shows it (without the board's own keys)."""
    hidden = {"title", "text", "facets", "owner_name_text"}
    return {k: v for k, v in doc.items() if k not in hidden}


def board_of(request: web.Request) -> BoardStore:
    found = board(request)
    if found is None:
        raise ApiError(503, "the venues' search is unavailable for now",
                       headers={"Retry-After": "30"})
    return found


async def api_list(request: web.Request) -> web.Response:
    try:
        filters = read_filters(request.query, API_NAMES)
    except ValueError as exc:
        name, why = exc.args
        raise ApiError(400, f"invalid parameter {name}: {why}", code="invalid_parameter",
                       details={"parameter": name}) from None
    try:
        total, items, after, _ = await search(board_of(request), filters)
    except ValueError:  # a malformed cursor
        raise ApiError(400, "invalid parameter cursor", code="invalid_parameter",
                       details={"parameter": "cursor"}) from None
    response = web.json_response({"total": total, "items": [public_item(i) for i in items],
                                  "next": after})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def map_place(doc: dict[str, Any]) -> dict[str, Any]:
    """One venue as the agenda's map script (``carte.js``) draws a place."""
    return {"name": doc["name"], "label": doc["name"], "lat": doc["lat"], "lon": doc["lon"],
            "commune_only": False, "more": 0,
            "events": [{"url": f"/salles/{doc['id']}", "title": "Voir la salle",
                        "when": " · ".join(p for p in (doc.get("quartier"),
                                                      doc.get("owner_name")) if p)}]}


def _options(values: list[tuple[str, str]], chosen: list[str],
             counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"value": v, "label": label, "checked": v in chosen, "count": counts.get(v)}
            for v, label in values]


async def list_page(request: web.Request) -> web.Response:
    error = ""
    try:
        filters = read_filters(request.query, PAGE_NAMES)
    except ValueError as exc:
        filters, error = Filters(), f"le filtre «\u00a0{exc.args[0]}\u00a0» n’est pas valide."
    total, after = 0, None
    items: list[dict[str, Any]] = []
    facets: dict[str, Any] = {}
    store = board(request)
    if store is None:
        error = "la recherche des salles est momentanément indisponible."
    elif not error:
        try:
            total, items, after, facets = await search(store, filters, with_facets=True)
        except ValueError:
            error = "cette page de résultats n’existe pas."
    counts = {name: {str(f["value"]): int(f["count"]) for f in values}
              for name, values in facets.items()}
    quartiers = sorted(set(counts.get("quartier", {})) | set(filters.quartier))
    options = {
        "quartier": _options([(q, q) for q in quartiers], filters.quartier,
                             counts.get("quartier", {})),
        "equipement": _options(list(EQUIPMENT.items()), filters.equipment,
                               counts.get("equipment", {})),
        "accessibilite": _options(list(ACCESSIBILITY.items()), filters.accessibility,
                                  counts.get("accessibility", {})),
    }
    here = {PAGE_NAMES[k]: v for k, v in (
        ("q", filters.q), ("quartier", filters.quartier), ("equipment", filters.equipment),
        ("accessibility", filters.accessibility), ("capacity", filters.capacity),
        ("price", filters.price),
        ("free_on", filters.free_on.isoformat() if filters.free_on else "")) if v}
    next_url = "/salles?" + urlencode({**here, "page": after}, doseq=True) if after else ""
    return page(request, "venues/list.html", filters=filters, items=items, total=total,
                map_data=[map_place(v) for v in items if v.get("lat") is not None],
                error=error, options=options, next_url=next_url,
                capacity_bands=CAPACITY_BANDS, price_bands=PRICE_BANDS, euros=euros,
                equipment_labels=EQUIPMENT, active=bool(here))
