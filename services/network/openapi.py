"""``/v1/network``, ``/v1/network.geojson`` and ``/v1/network.csv`` in the OpenAPI
description: :func:`paths` takes the description's own ``get`` and ``ok`` builders
(:mod:`services.query.openapi`), as :func:`services.skills.openapi.paths` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.network.model import KINDS
from services.network.routes import MAX_EDGES
from services.query.calls_params import THEME_CODES
from services.query.openapi_schemas import FACET, LISTS, param, string_list

TEXT = {"type": "string"}
NULLABLE = {"type": ["string", "null"]}
NODE = {
    "type": "object", "required": ["id", "name", "themes", "url", "degree"],
    "description": "An association at either end of a confirmed link.",
    "properties": {"id": TEXT, "name": TEXT, "quartier": NULLABLE, "commune": NULLABLE,
                   "themes": {"type": "array", "items": TEXT},
                   "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]},
                   "url": TEXT, "degree": {"type": "integer", "minimum": 1}},
}
EDGE = {
    "type": "object",
    "required": ["id", "kind", "kind_label", "source", "target", "directed", "url"],
    "description": "A confirmed link (directed: source is a member of target).",
    "properties": {"id": TEXT, "kind": {"type": "string", "enum": list(KINDS)},
                   "kind_label": TEXT, "source": TEXT, "target": TEXT,
                   "directed": {"type": "boolean"}, "note": NULLABLE, "since": NULLABLE,
                   "url": TEXT},
}
GEOJSON = {
    "type": "object", "required": ["type", "features"],
    "properties": {"type": {"const": "FeatureCollection"}, "features": {
        "type": "array", "items": {
            "type": "object", "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"const": "Feature"}, "id": TEXT,
                "geometry": {"type": "object", "required": ["type", "coordinates"],
                             "properties": {"type": {"enum": ["Point", "LineString"]}}},
                "properties": {"type": "object", "required": ["kind"], "properties": {
                    "kind": {"enum": ["association", "link"]}}}}}}},
}


def parameters() -> list[dict[str, Any]]:
    return [
        param("kind", f"Kinds of link. {LISTS}", string_list(tuple(KINDS)), explode=True),
        param("theme", f"Themes of either end (/v1/themes). {LISTS}",
              string_list(tuple(sorted(THEME_CODES))), explode=True),
        param("quartier", f"Quartiers of either end. {LISTS}", string_list(), explode=True),
        param("association", "One association (its id) and its neighbours (two ids, "
              "repeated or comma-separated, are refused).", {"type": "string"}),
    ]


def paths(get: Callable[..., dict[str, Any]], ok: Callable[..., dict[str, Any]]
          ) -> dict[str, Any]:
    tags = ("network",)
    errors = ("400", "405", "429", "503")
    return {
        "/v1/network": get(
            "getNetwork", f"The network of associations' confirmed links, as a graph (at "
            f"most {MAX_EDGES} links, the latest first), with facet counts.", parameters(),
            ok("The graph.", "application/json", {
                "type": "object",
                "required": ["nodes", "edges", "total", "truncated", "facets"],
                "properties": {"nodes": {"type": "array", "items": NODE},
                               "edges": {"type": "array", "items": EDGE,
                                         "maxItems": MAX_EDGES},
                               "total": {"type": "integer", "minimum": 0},
                               "truncated": {"type": "boolean"},
                               "facets": {"type": "object", "additionalProperties": FACET}}}),
            errors=errors, tags=tags),
        "/v1/network.geojson": get(
            "getNetworkGeojson", "The same graph as GeoJSON: a Point per placed association, "
            "a LineString per link whose two ends are placed.", parameters(),
            ok("GeoJSON FeatureCollection.", "application/geo+json", GEOJSON),
            errors=errors, tags=tags),
        "/v1/network.csv": get(
            "getNetworkCsv", "The graph's links as CSV (RFC 4180, UTF-8; Source and Target "
            "first, as Gephi imports them).", parameters(),
            ok("CSV.", "text/csv", {"type": "string"}), errors=errors, tags=tags),
    }
