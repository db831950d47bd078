"""The search of posts, shared by ``GET /v1/skills`` and the page ``/competences``: both read
the board (kind ``skill``), never ``RECORDS``; the page's French parameters are the API's.

Parameters: ``q`` (words), ``type``, ``skill``, ``quartier``, ``commune``, ``theme``,
``mode``, ``state``, ``project_kind`` (each repeated or comma-separated: OR within one, AND
across), ``association`` (its posts), ``from``/``to`` (dates: posts whose period meets
it), ``sort`` (``relevance``, ``recent``, ``soonest``), ``limit``, ``cursor``, ``facets``
(``true``: counts per value).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from services.query.errors import ApiError, invalid_parameter
from services.query.params import list_values, parse_bool, single
from services.skills.model import MODES, PROJECT_KINDS, SKILLS, STATES, TYPES
from services.skills.project import KIND, PARIS, _instant
from shared.store.board_base import BOARD, MAX_LIMIT, BoardQuery, BoardSort, BoardStore

MAX_Q = 200
#: Facet parameters and the values each accepts (``None``: any, e.g. a quartier's name).
FACETS: dict[str, Any] = {"type": TYPES, "skill": tuple(SKILLS), "mode": tuple(MODES),
                          "state": tuple(STATES), "project_kind": tuple(PROJECT_KINDS),
                          "quartier": None, "commune": None, "theme": None}
KNOWN = frozenset({"q", "association", "from", "to", "sort", "limit", "cursor", "facets", *FACETS})
SORTS = (BoardSort.RELEVANCE, BoardSort.RECENT, BoardSort.SOONEST)


def _day(params: MultiMapping[str], name: str, end: bool) -> str | None:
    raw = single(params, name)
    if not raw:
        return None
    try:
        date.fromisoformat(raw)
    except ValueError:
        raise invalid_parameter(name, "expected a date YYYY-MM-DD") from None
    return _instant(raw, end)


def parse_query(params: MultiMapping[str], *, limit: int = 20) -> BoardQuery:
    """The board query of ``params``; a 400 in the API's error shape for anything wrong."""
    for name in params:
        if name not in KNOWN:
            raise invalid_parameter(name, "unknown parameter")
    q = single(params, "q")
    if q is not None and len(q) > MAX_Q:
        raise invalid_parameter("q", f"at most {MAX_Q} characters")
    facets: dict[str, tuple[str, ...]] = {}
    for name, allowed in FACETS.items():
        values = list_values(params, name)
        if allowed is not None and (wrong := [v for v in values if v not in allowed]):
            raise invalid_parameter(name, f"unknown value {wrong[0]!r}; one of "
                                    + ", ".join(allowed))
        if values:
            facets[name] = values
    start, end = _day(params, "from", False), _day(params, "to", True)
    if start and end and end < start:
        raise invalid_parameter("to", "before 'from'")
    sort = BoardSort.RELEVANCE
    if raw_sort := single(params, "sort"):
        if raw_sort not in SORTS:
            raise invalid_parameter("sort", "one of " + ", ".join(SORTS))
        sort = BoardSort(raw_sort)
    if raw_limit := single(params, "limit"):
        try:
            limit = int(raw_limit)
        except ValueError:
            raise invalid_parameter("limit", "expected an integer") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise invalid_parameter("limit", f"must be between 1 and {MAX_LIMIT}")
    raw_facets = single(params, "facets")
    return BoardQuery(kind=KIND, q=q.strip() or None if q else None, facets=facets,
                      owner=single(params, "association") or None,
                      start=start, end=end, sort=sort, limit=limit,
                      cursor=single(params, "cursor") or None,
                      with_facets=parse_bool("facets", raw_facets) if raw_facets else False)


def board(app: web.Application) -> BoardStore:
    """The site's board (``app[BOARD]``, opened by the composition root)."""
    store = app.get(BOARD)
    if store is None:
        raise ApiError(503, "the search of posts is unavailable for now",
                       headers={"Retry-After": "30"})
    return store


async def run(app: web.Application, query: BoardQuery) -> Any:
    try:
        return await board(app).search(query)
    except ValueError as exc:
        raise invalid_parameter("cursor", str(exc) or "malformed cursor") from None


def today() -> str:
    from datetime import datetime

    return datetime.now(PARIS).date().isoformat()
