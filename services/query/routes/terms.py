"""Vocabularies with counts over upcoming events, and search-box suggestions.

``GET /v1/themes`` lists every theme of :mod:`shared.taxonomy` with its French label (count 0
when no upcoming event has it); ``/v1/quartiers``, ``/v1/keywords`` and ``/v1/organizers``
list the values found in the index, most frequent first; ``/v1/suggest?q=`` completes a
search box.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from services.query.context import STORE, json_response
from services.query.errors import Handler, invalid_parameter
from services.query.params import check_names, parse_int, single
from shared.store.base import SearchQuery
from shared.store.suggest import respell
from shared.taxonomy import THEMES

TERMS_MAX = 1000
TERMS_DEFAULT = 200
SUGGEST_MAX = 20
SUGGEST_DEFAULT = 8
SUGGEST_MAX_Q = 100
RESPELL_MAX = 8  # keyword suggestions respelled from titles (one small search each)
RESPELL_TITLES = 10
RESPELL_CACHE = 5000
SPELLINGS: web.AppKey[dict[str, str]] = web.AppKey("keyword_spellings")


def limit_param(request: web.Request, default: int, high: int) -> int:
    raw = single(request.rel_url.query, "limit")
    return default if raw is None else parse_int("limit", raw, 1, high)


async def themes(request: web.Request) -> web.Response:
    check_names(request.rel_url.query, frozenset())
    counts = {
        str(t["value"]): int(t["count"])
        for t in await request.app[STORE].terms("themes", start=datetime.now(UTC),
                                                limit=len(THEMES))
    }
    items = [{"value": t.code, "label": t.label, "count": counts.get(t.code, 0)}
             for t in THEMES]
    return json_response({"items": items})


def facet_route(facet: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        check_names(request.rel_url.query, frozenset({"limit"}))
        limit = limit_param(request, TERMS_DEFAULT, TERMS_MAX)
        items = await request.app[STORE].terms(facet, start=datetime.now(UTC), limit=limit)
        return json_response({"items": [{"value": t["value"], "count": t["count"]}
                                        for t in items]})

    return handler


async def suggest(request: web.Request) -> web.Response:
    params = request.rel_url.query
    check_names(params, frozenset({"q", "limit"}))
    q = single(params, "q")
    if q is None:
        raise invalid_parameter("q", "required")
    if len(q) > SUGGEST_MAX_Q:
        raise invalid_parameter("q", f"at most {SUGGEST_MAX_Q} characters")
    limit = limit_param(request, SUGGEST_DEFAULT, SUGGEST_MAX)
    q = q.strip()
    items = await request.app[STORE].suggest(q, limit=limit) if q else []
    for item in items[:RESPELL_MAX]:
        if item["kind"] == "keyword" and item["text"].isascii():
            item["text"] = await keyword_text(request, item["text"])
    return json_response({"items": [{"text": s["text"], "kind": s["kind"]} for s in items]})


async def keyword_text(request: web.Request, slug: str) -> str:
    """A keyword suggestion as the events write it: keyword tags are folded slugs ("velo"),
    a search box should offer "vélo". Remembered (a spelling does not change), up to
    :data:`RESPELL_CACHE` keywords."""
    cache = request.app[SPELLINGS]
    if slug in cache:
        return cache[slug]
    page = await request.app[STORE].search(SearchQuery(
        start=datetime.now(UTC), limit=RESPELL_TITLES, keywords=(slug,), facets=False))
    texts = [f"{d.get('title') or ''} {d.get('description_text') or ''}" for d in page.items]
    if len(cache) >= RESPELL_CACHE:
        cache.clear()
    cache[slug] = respell(slug, texts)
    return cache[slug]


def setup(app: web.Application) -> None:
    app.router.add_get("/v1/themes", themes)
    app.router.add_get("/v1/quartiers", facet_route("quartier"))
    app.router.add_get("/v1/keywords", facet_route("keywords"))
    app.router.add_get("/v1/organizers", facet_route("organizer"))
    app.router.add_get("/v1/suggest", suggest)
    app[SPELLINGS] = {}
