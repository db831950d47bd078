"""Run the search of a web page: its filters through the API's validation, errors in French."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from aiohttp import web

from services.query.context import SETTINGS, TZ, run_search
from services.query.errors import ApiError
from services.query.params import parse_search
from shared.store.base import SearchPage, SearchQuery, Sort

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
        now=datetime.now(UTC),
        max_limit=app[SETTINGS].max_limit,
    )
    # The page lists by day: date order even for a text search, and its own page sizes.
    # Cancelled occurrences stay listed (marked): people who planned to go must learn it.
    return dataclasses.replace(query, limit=limit, sort=Sort.DATE, facets=True,
                               include_cancelled=True)


async def search(request: web.Request, query: SearchQuery) -> SearchPage:
    return await run_search(request, query)


