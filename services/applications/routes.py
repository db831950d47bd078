"""The JSON API of joint applications, and the list page (both read the board):

    GET /v1/applications        q, call, theme, quartier, state (repeatable), seeking
                                (yes|no), from, to (a period its opening → deadline meets:
                                dates or ISO 8601 with offset), limit (1-100), cursor,
                                facets (true: facet counts)
    GET /v1/applications/{id}   one application with its partners (the store of record)
    GET /candidatures           the French list: the same filters as a form

An unknown parameter, a bad value or cursor is a 400 in the one error shape.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping

from services.accounts.web import page, site
from services.applications.model import APPLICATION, PARTNER_ACCEPTED, STATE_LABELS, STATES
from services.applications.storage import Applications
from services.applications.validate import PARIS, QUARTIERS
from services.query.errors import ApiError
from shared.store.board_base import (
    BOARD,
    MAX_LIMIT,
    BoardQuery,
    BoardSort,
    BoardStore,
    decode_offset,
)
from shared.taxonomy import THEME_BY_CODE, theme_label

FACETS = ("call", "theme", "quartier", "state", "seeking")
PARAMS = frozenset({"q", "limit", "cursor", "facets", "from", "to", *FACETS})
#: The values a facet can have (a value outside them is a bad parameter, not "none found").
KNOWN: dict[str, frozenset[str]] = {"state": frozenset(STATES),
                                    "theme": frozenset(THEME_BY_CODE),
                                    "quartier": frozenset(QUARTIERS)}
#: The parameters given at most once (a repeated one is a 400, not its first value).
SINGLE = frozenset({"q", "limit", "cursor", "facets", "from", "to"})
#: The page's parameter names (French), and the facet each filters.
PAGE_FACETS = {"appel": "call", "theme": "theme", "quartier": "quartier", "etat": "state"}


def query_of(params: MultiMapping[str], *, names: dict[str, str] | None = None,
             seeking: str = "seeking") -> BoardQuery:
    """The board query of the request's parameters; ``ValueError`` names the bad one."""
    names = names or {f: f for f in FACETS if f != "seeking"}
    facets: dict[str, tuple[str, ...]] = {}
    for name, facet in names.items():
        values = tuple(v for v in params.getall(name, []) if v)
        known = KNOWN.get(facet)
        if known is not None and any(v not in known for v in values):
            raise ValueError(name)
        if values:
            facets[facet] = values
    for name in SINGLE | {seeking}:
        if len(params.getall(name, [])) > 1:
            raise ValueError(name)
    wanted = params.get(seeking, "")
    if wanted in ("yes", "oui"):
        facets["seeking"] = ("yes",)
    elif wanted in ("no", "non"):
        facets["seeking"] = ("no",)
    elif wanted:
        raise ValueError(seeking)
    raw_limit = params.get("limit", "20")
    if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise ValueError("limit")
    cursor = params.get("cursor") or None
    if cursor is not None:
        try:
            decode_offset(cursor)
        except ValueError:
            raise ValueError("cursor") from None
    q = (params.get("q") or "").strip()[:200] or None
    start, end = moment(params.get("from"), "from"), moment(params.get("to"), "to", end=True)
    if start and end and end < start:
        raise ValueError("to")
    raw_facets = (params.get("facets") or "").strip().lower()
    if raw_facets not in ("", "true", "1", "false", "0"):
        raise ValueError("facets")
    return BoardQuery(kind=APPLICATION, q=q, facets=facets, start=start, end=end,
                      sort=BoardSort.RELEVANCE if q else BoardSort.SOONEST,
                      limit=int(raw_limit), cursor=cursor,
                      with_facets=raw_facets in ("true", "1") or seeking != "seeking")


def moment(raw: str | None, name: str, *, end: bool = False) -> str | None:
    """``from``/``to`` as ISO 8601 with offset: a date (``AAAA-MM-JJ``) is the start (or,
    for ``to``, the end) of that day in Rennes; ``ValueError`` names the parameter."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime.combine(day, time.max if end else time.min, PARIS).isoformat()
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(name) from None
    if when.tzinfo is None:
        raise ValueError(name)
    return when.isoformat()


def board(request: web.Request) -> BoardStore:
    return request.app[BOARD]


async def list_applications(request: web.Request) -> web.Response:
    unknown = sorted(set(request.query) - PARAMS)
    if unknown:
        raise ApiError(400, f"unknown parameter {unknown[0]!r}", code="invalid_parameter",
                       details={"parameter": unknown[0]})
    try:
        query = query_of(request.query)
    except ValueError as exc:
        raise ApiError(400, f"invalid value of {exc}", code="invalid_parameter",
                       details={"parameter": str(exc)}) from None
    found = await board(request).search(query)
    body: dict[str, Any] = {"total": found.total, "items": [public(d) for d in found.items],
                            "next": found.next}
    if query.with_facets:
        body["facets"] = found.facets
    return web.json_response(body)


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """The API's form of a board document (without the board's own keys)."""
    return {k: v for k, v in doc.items() if k not in ("text", "facets", "owner", "kind")}


async def get_application(request: web.Request) -> web.Response:
    applications = Applications(site(request).ready())
    found = await applications.get(request.match_info["id"])
    if found is None:
        raise ApiError(404, "no such application", code="application_not_found",
                       details={"id": request.match_info["id"]})
    application, partners = await applications.with_partners(found)
    listed = [{"id": p.association, "name": p.name} for p in partners
              if p.state == PARTNER_ACCEPTED]
    return web.json_response({"item": {**application.public(), "partners": listed}})


async def list_page(request: web.Request) -> web.Response:
    error, status, found = "", 200, None
    try:
        query: BoardQuery | None = query_of(request.query, names=PAGE_FACETS,
                                            seeking="ouvertes")
    except ValueError:
        query, error, status = None, "Un des filtres n’est pas valable.", 400
    if query is not None:
        found = await board(request).search(query)
    chosen = {name: request.query.getall(name, []) for name in (*PAGE_FACETS, "ouvertes")}
    next_url = ""
    if found is not None and found.next:
        rest = [(k, v) for k, v in request.query.items() if k != "cursor"]
        next_url = "/candidatures?" + urlencode([*rest, ("cursor", found.next)])
    counts = {f: {c["value"]: c["count"] for c in (found.facets.get(f) or [])}
              for f in FACETS} if found is not None else {}
    return page(request, "applications/list.html", status=status, found=found, error=error,
                q=request.query.get("q", ""), chosen=chosen, counts=counts,
                next_url=next_url, state_labels=STATE_LABELS, theme_label=theme_label,
                quartier_options=[(q, q) for q in QUARTIERS],
                theme_options=[(code, THEME_BY_CODE[code].label) for code in sorted(
                    set(counts.get("theme", {})) | set(chosen["theme"]))
                    if code in THEME_BY_CODE])


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/applications", list_applications)
    app.router.add_get("/v1/applications/{id}", get_application)
    app.router.add_get("/candidatures", list_page)


async def of_call(request: web.Request, call_id: str) -> list[dict[str, Any]]:
    """The applications of a call still open to partners (for the call's page; none when
    the board cannot be read)."""
    found = await board(request).search(BoardQuery(kind=APPLICATION, facets={
        "call": (call_id,), "state": ("seeking", "formed")}, sort=BoardSort.SOONEST,
        limit=MAX_LIMIT))
    return found.items
