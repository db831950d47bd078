"""The network's page, ``/reseau``: the associations at their head office and the confirmed
links between them on the site's map (Leaflet and the quartier outlines of
:mod:`services.query.web.boundaries`, drawn by the agenda's ``carte.js``; ``reseau.js``
adds the lines), filters with counts (type of link, theme, quartier, one association and
its neighbours), and the same network as lists, each association with its links: the page
without the map, for screen readers and without JavaScript.

It reads the board through the API's own parsing and search (:func:`.routes.parse`,
:func:`.routes.links`): the French parameters (``type``) are the API's (``kind``), so the
page and ``/v1/network`` show the same network for the same filters.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from services.accounts.web import page, refuse
from services.associations.directory_pages import counts, theme_label
from services.network.derived import co_organisers
from services.network.graph import graph, neighbourhood
from services.network.model import KINDS
from services.network.routes import links, parse
from services.query.errors import ApiError
from services.query.web.views import options
from shared.taxonomy import THEME_BY_CODE

#: The page's parameters and the board's facets they are.
NAMES = {"kind": "type", "theme": "theme", "quartier": "quartier",
         "association": "association"}
ERRORS = {"type": "Un des types de lien demandés n’existe pas.",
          "theme": "Un des thèmes demandés n’existe pas."}


def kind_label(code: str) -> str:
    return KINDS.get(code, code).capitalize()


def _url(params: dict[str, list[str]], **change: Any) -> str:
    merged = {k: list(v) for k, v in params.items() if v}
    for key, value in change.items():
        if value in (None, "", []):
            merged.pop(key, None)
        else:
            merged[key] = value if isinstance(value, list) else [str(value)]
    query = urlencode([(k, v) for k, vs in merged.items() for v in vs])
    return "/reseau" + ("?" + query if query else "")


def _place(node: dict[str, Any]) -> dict[str, Any]:
    """One association as the map script draws a place."""
    n = node["degree"]
    where = " · ".join(p for p in (node.get("quartier"), node.get("commune")) if p)
    return {"name": node["name"], "label": f"{node['name']} : {n} lien{'s' if n > 1 else ''}",
            "lat": node["lat"], "lon": node["lon"], "commune_only": False, "more": 0,
            "events": [{"url": node["url"], "title": "Voir sa fiche", "when": where}]}


def _lines(g: dict[str, Any]) -> list[dict[str, Any]]:
    placed = {n["id"]: n for n in g["nodes"] if n.get("lat") is not None}
    out = []
    for e in g["edges"]:
        a, b = placed.get(e["source"]), placed.get(e["target"])
        if a is not None and b is not None:
            label = (f"{a['name']} est membre de {b['name']}" if e["directed"]
                     else f"{a['name']} et {b['name']} : {e['kind_label']}")
            out.append({"from": [a["lat"], a["lon"]], "to": [b["lat"], b["lon"]],
                        "kind": e["kind"], "label": label, "url": e["url"]})
    return out


async def network_page(request: web.Request) -> web.Response:
    params = {name: [v for v in request.query.getall(name, []) if v.strip()][:50]
              for name in NAMES.values()}
    params = {k: v for k, v in params.items() if v}
    error, status = "", 200
    try:
        facets = parse(request.query, names=NAMES)
        docs, total, found = await links(request.app, facets, with_facets=True)
    except ApiError as exc:
        details = exc.body_data.get("error", {}).get("details", {})
        if exc.status == 503:
            raise refuse(request, 503, "unavailable", "La carte du réseau est "
                         "momentanément indisponible. Réessayez dans quelques minutes.",
                         title="Service indisponible", headers={"Retry-After": "30"},
                         back=("/entraide", "Retour à l’entraide entre associations")
                         ) from None
        error = ERRORS.get(str(details.get("parameter")), "Un des filtres n’est pas valide.")
        status, docs, total, found = 400, [], 0, {}
    g = graph(docs)
    chosen = {name: params.get(NAMES[name], []) for name in NAMES}
    filters = {
        "kinds": options(counts(found, "kind"), chosen["kind"], kind_label, order=KINDS),
        "themes": options(counts(found, "theme"), chosen["theme"], theme_label,
                          order=THEME_BY_CODE),
        "quartiers": options(counts(found, "quartier"), chosen["quartier"], str),
    }
    focus = chosen["association"][0] if chosen["association"] else ""
    focus_name = next((n["name"] for n in g["nodes"] if n["id"] == focus), focus)
    chips = [(f"{label}\u00a0: {show(v)}",
              _url(params, **{NAMES[key]: [x for x in chosen[key] if x != v]}))
             for key, label, show in (("kind", "Type", kind_label),
                                      ("theme", "Thème", theme_label),
                                      ("quartier", "Quartier", str))
             for v in chosen[key]]
    if focus:
        chips.append((f"Autour de {focus_name}", _url(params, association=None)))
    map_data = [_place(n) for n in g["nodes"] if n.get("lat") is not None]
    return page(request, "network/network.html", status=status, error=error, graph=g,
                rows=neighbourhood(g), total=total, shown=len(g["edges"]),
                filters=filters, chips=chips, hidden=params, focus=focus,
                focus_name=focus_name, map_data=map_data, map_lines=_lines(g),
                around=lambda aid: _url(params, association=aid),
                clear_url="/reseau" if chips else None,
                unplaced=[n for n in g["nodes"] if n.get("lat") is None],
                derived=await co_organisers(request.app, focus) if focus else [],
                api_query=urlencode([(k if k != "type" else "kind", v)
                                     for k, vs in params.items() for v in vs]),
                nav="reseau")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/reseau", network_page)


async def association_links(app: web.Application, aid: str) -> dict[str, Any]:
    """The confirmed links of one association, as its directory page lists them (from the
    board; none, marked unavailable, while the board cannot be read)."""
    try:
        docs, _, _ = await links(app, {"association": (aid,)})
    except ApiError:
        return {"links": [], "unavailable": True, "derived": []}
    rows = [r for r in neighbourhood(graph(docs)) if r["node"]["id"] == aid]
    return {"links": rows[0]["links"] if rows else [], "unavailable": False,
            "derived": await co_organisers(app, aid)}
