"""The JSON API of the network, read from the board (kind ``network``: confirmed links only):

    GET /v1/network            ``{"nodes", "edges", "total", "truncated", "facets"}``
    GET /v1/network.geojson    the same as a GeoJSON FeatureCollection (points, lines)
    GET /v1/network.csv        its edges as CSV, for Gephi or Cytoscape

Filters (AND across, OR within one; repeated or comma-separated): ``kind`` (the controlled
list, :data:`services.network.model.KINDS`), ``theme`` (the taxonomy's codes), ``quartier``,
``association`` (one association and its neighbours). An unknown parameter or value is a
400 in the one error shape. At most :data:`MAX_EDGES` links are returned (``truncated``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import orjson
from aiohttp import web

from services.network.graph import edges_csv, geojson, graph
from services.network.model import KINDS, NETWORK
from services.query.calls_params import THEME_CODES, Params, codes, values
from services.query.errors import ApiError, invalid_parameter
from shared.store.board_base import BOARD, MAX_LIMIT, BoardQuery, BoardSort, BoardStore

#: Most links one answer (and the map) holds.
MAX_EDGES = 1000
PARAMS = frozenset({"kind", "theme", "quartier", "association"})
#: The facets the pages and the API count (the board's names).
FACETS = ("kind", "theme", "quartier", "association")

def board(app: web.Application) -> BoardStore:
    try:
        return app[BOARD]
    except KeyError:
        raise ApiError(503, "the network is unavailable for now",
                       headers={"Retry-After": "30"}) from None


def parse(params: Params, *, names: Mapping[str, str] | None = None) -> dict[str, tuple[str, ...]]:
    """The board's facet filters of ``params`` (``names``: the page's parameter of each
    facet, e.g. ``{"kind": "type"}``); a 400 :class:`ApiError` on bad input."""
    names = names or {}
    wanted = {names.get(f, f) for f in PARAMS}
    for name in params:
        if name not in wanted:
            raise invalid_parameter(name, "unknown parameter")
    facets = {
        "kind": codes(params, names.get("kind", "kind"), frozenset(KINDS)),
        "theme": codes(params, names.get("theme", "theme"), THEME_CODES),
        "quartier": values(params, names.get("quartier", "quartier")),
        "association": values(params, names.get("association", "association")),
    }
    if len(facets["association"]) > 1:
        raise invalid_parameter(names.get("association", "association"), "one association")
    return {k: v for k, v in facets.items() if v}


async def links(app: web.Application, facets: Mapping[str, tuple[str, ...]], *,
                with_facets: bool = False) -> tuple[list[dict[str, Any]], int,
                                                    dict[str, Any]]:
    """The board's documents of the confirmed links that match (at most
    :data:`MAX_EDGES`), their total, and the facet counts when asked."""
    store = board(app)
    query = BoardQuery(kind=NETWORK, facets=dict(facets), sort=BoardSort.RECENT,
                       limit=MAX_LIMIT, with_facets=with_facets)
    docs: list[dict[str, Any]] = []
    found = await store.search(query)
    total, counts = found.total, found.facets or {}
    docs += found.items
    while found.next and len(docs) < MAX_EDGES:
        found = await store.search(replace(query, cursor=found.next, with_facets=False))
        docs += found.items
    return docs[:MAX_EDGES], total, counts


async def network(request: web.Request) -> web.Response:
    docs, total, counts = await links(request.app, parse(request.query), with_facets=True)
    body = {**graph(docs), "total": total, "truncated": total > len(docs),
            "facets": counts}
    return _json(body, "application/json")


async def network_geojson(request: web.Request) -> web.Response:
    docs, _, _ = await links(request.app, parse(request.query))
    return _json(geojson(graph(docs)), "application/geo+json")


async def network_csv(request: web.Request) -> web.Response:
    docs, _, _ = await links(request.app, parse(request.query))
    response = web.Response(text=edges_csv(graph(docs)), content_type="text/csv",
                            charset="utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="reseau-liens.csv"'
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _json(body: dict[str, Any], content_type: str) -> web.Response:
    response = web.Response(body=orjson.dumps(body), content_type=content_type)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/network", network)
    app.router.add_get("/v1/network.geojson", network_geojson)
    app.router.add_get("/v1/network.csv", network_csv)
