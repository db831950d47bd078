"""Run the search of a web page: its filters through the API's validation, errors in French."""

from __future__ import annotations

import dataclasses

from aiohttp import web
from multidict import MultiDict

from services.query.context import SETTINGS, STORE, TZ, now, run_search
from services.query.errors import ApiError
from services.query.params import parse_search
from shared.store.base import SearchPage, SearchQuery, Sort
from shared.store.suggest import folded

from .state import PageState

PARAM_ERRORS = {
    "from": "La date de début n’est pas valide (format attendu : 2026-12-05).",
    "to": "La date de fin n’est pas valide, ou elle précède la date de début.",
    "q": "La recherche est trop longue (200 caractères au plus).",
    "cursor": "Ce lien de page suivante n’est plus valable : reprenez depuis le début de la liste.",
    "theme": "Un des thèmes demandés n’existe pas.",
    "accessibility": "Un des critères d’accessibilité demandés n’existe pas.",
    "audience": "Un des publics demandés n’existe pas.",
    "status": "Un des statuts demandés n’existe pas.",
    "free": "Le filtre « gratuit » attend oui ou non.",
}
GENERIC_ERROR = "Un des critères de recherche n’est pas valide."


def french_error(exc: ApiError) -> str:
    details = exc.body_data.get("error", {}).get("details", {})
    return PARAM_ERRORS.get(str(details.get("parameter")), GENERIC_ERROR)


def build_query(request: web.Request, state: PageState, *, limit: int,
                **params: str) -> SearchQuery:
    """The validated query of the page's filters (``params`` override some of them); raises
    :class:`ApiError` like the API does."""
    app = request.app
    if state.cursor:
        params["cursor"] = state.cursor
    query = parse_search(
        state.search_params(**params),
        tz=app[TZ],
        now=now(request),
        max_limit=app[SETTINGS].max_limit,
    )
    # The page lists by day: date order even for a text search, and its own page sizes.
    # Cancelled occurrences stay listed (marked): people who planned to go must learn it.
    return dataclasses.replace(query, limit=limit, sort=Sort.DATE, facets=True,
                               include_cancelled=True)


async def search(request: web.Request, query: SearchQuery) -> SearchPage:
    return await run_search(request, query)


#: Filters naming things (filter -> store facet) that people type: matched without regard to
#: case or accents against the names the store knows, so "jardin moderne" finds "Le Jardin
#: Moderne"'s events instead of an empty page.
NAMED = {"organizer": "organizer", "quartier": "quartier", "commune": "commune",
         "source": "sources"}


async def known_names(request: web.Request, name: str) -> list[str]:
    terms = await request.app[STORE].terms(NAMED[name], limit=1000) or []
    return [str(t["value"]) for t in terms]


async def resolve_names(request: web.Request, state: PageState) -> list[tuple[str, str]]:
    """Replace typed names in ``state`` by the store's spelling (case, accents, spaces);
    returns the ``(filter, value)`` that match no known name."""
    unknown: list[tuple[str, str]] = []
    spelled: dict[str, dict[str, str]] = {}
    for name in NAMED:
        if state.values(name):
            spelled[name] = {folded(v): v for v in await known_names(request, name)}
    if not spelled:
        return unknown
    filters: MultiDict[str] = MultiDict()
    for name, value in state.filters.items():
        if name in spelled:
            match = spelled[name].get(folded(value))
            if match is None:
                unknown.append((name, value))
            value = match or value
            if value in filters.getall(name, []):
                continue
        filters.add(name, value)
    state.filters = filters
    return unknown


