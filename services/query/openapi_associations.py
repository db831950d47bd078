"""The directory of associations in the OpenAPI description (:mod:`services.query.openapi`):
``/v1/associations``, its exports and ``/v1/associations/{id}``
(:mod:`services.associations.directory_api`, :mod:`services.associations.routes`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.query.openapi_schemas import FACET, LISTS, param, string_list
from services.query.params import MAX_CURSOR, MAX_Q
from shared.taxonomy import THEMES
from shared.vocab import TOOLS

NULLABLE = {"type": ["string", "null"]}
STRINGS = {"type": "array", "items": {"type": "string"}}
ASSOCIATION = {
    "type": "object",
    "required": ["id", "name", "state"],
    "description": "An association's public fields (contact details only when it made them "
                   "public) and where its head office is.",
    "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "acronym": NULLABLE,
        "aliases": STRINGS, "rna": NULLABLE, "rna_old": NULLABLE, "siren": NULLABLE,
        "siret": NULLABLE, "purpose": NULLABLE, "themes": STRINGS, "rna_themes": STRINGS,
        "address": {"type": ["object", "null"]}, "quartiers": STRINGS, "website": NULLABLE,
        "links": {"type": "object", "additionalProperties": {"type": "string"}},
        "tools": {**STRINGS, "description": "Tools it declared and tools Maillage saw in "
                  "its sources, website and links (vocabulary: /outils)."},
        "declared_tools": {**STRINGS, "description": "The tools it declared itself."},
        "harvested_tools": {**STRINGS, "description": "The agenda tools of the sources "
                            "Maillage harvests for it."},
        "organizers": {**STRINGS, "description": "Organizer names its events go by: "
                       "declared, or linked to it by Maillage or an operator."},
        "sources": {"type": "array", "description": "The event sources Maillage links to it "
                    "or it added itself.", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "url": {"type": "string"},
                        "format": NULLABLE, "tool": NULLABLE}}},
        "state": {"type": "string", "enum": ["active", "dissolved"]},
        "founded": NULLABLE, "dissolved_on": NULLABLE, "city_id": NULLABLE,
        "city_category": NULLABLE,
        "provenance": {"type": "object", "description": "Who wrote each field: rna, city, "
                       "self or operator.",
                       "additionalProperties": {"type": "string"}},
        "contact": {"type": "object", "additionalProperties": {"type": "string"}},
        "commune": {"type": "string"}, "insee": {"type": "string"},
        "quartier": {"type": "string"}, "lat": {"type": "number"}, "lon": {"type": "number"},
        "kind": {"const": "association"},
        "themes_from": {"type": ["string", "null"], "enum": ["declared", "rna", None],
                        "description": "Where the themes come from: declared by the "
                                       "association, or its RNA codes."},
    },
}
DIRECTORY_PAGE = {
    "type": "object",
    "required": ["total", "items", "next"],
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Association"}},
        "next": {"type": ["string", "null"], "description": "Cursor of the next page."},
        "facets": {"type": "object", "description": "Counts over the filtered set: theme, "
                   "rna_theme, quartier, commune, tool, state, declared_tool, "
                   "harvested_tool, has_events.",
                   "additionalProperties": FACET},
    },
}


def parameters(max_limit: int, *, export: bool = False) -> list[dict[str, Any]]:
    params = [
        param("q", "French words of the name, acronym, other names or purpose: "
              "accent-insensitive, stemmed, every word required, prefix on the last.",
              {"type": "string", "maxLength": MAX_Q}),
        param("theme", "Theme codes (/v1/themes). " + LISTS,
              string_list(tuple(t.code for t in THEMES)), explode=True),
        param("rna_theme", "RNA objet_social codes (6 digits). " + LISTS,
              string_list(), explode=True),
        param("quartier", "Quartiers (head office or activity). " + LISTS, string_list(),
              explode=True),
        param("commune", "Communes of the head office, of Rennes Métropole (400 for another "
              "one). " + LISTS, string_list(),
              explode=True),
        param("tool", "Tools the association uses (declared, or seen by Maillage), codes of "
              "the inventory of tools (400 for another one). " + LISTS,
              string_list(tuple(TOOLS)), explode=True),
        param("state", "active or dissolved. " + LISTS, string_list(("active", "dissolved")),
              explode=True),
        param("has_events", "Only associations with (true) or without (false) upcoming "
              "events in the agenda (under their names and organizer names, or from their "
              "sources).", {"type": "boolean"}),
    ]
    if not export:
        params += [
            param("facets", "Add facet counts.", {"type": "boolean"}),
            param("limit", f"Page size (default 20, at most {max_limit}).",
                  {"type": "integer", "minimum": 1, "maximum": max_limit}),
            param("cursor", "The next page (the previous page's next).",
                  {"type": "string", "maxLength": MAX_CURSOR}),
        ]
    return params


def paths(get: Callable[..., dict[str, Any]], ok: Callable[..., dict[str, Any]],
          max_limit: int, export_max: int) -> dict[str, Any]:
    tags = ("associations",)
    out = {
        "/v1/associations": get(
            "searchAssociations", "Search the directory of associations of Rennes "
            "Métropole (by name otherwise by relevance), with facet counts.",
            parameters(max_limit), ok("A page of associations.", "application/json",
                                      {"$ref": "#/components/schemas/DirectoryPage"}),
            tags=tags),
        "/v1/associations/{id}": get(
            "getAssociation", "One association (active or dissolved), from the store of "
            "record (from the directory while that cannot be reached; 503 with "
            "Retry-After for one the directory does not hold then).",
            [{"name": "id", "in": "path", "required": True, "description": "Its id.",
              "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
            ok("The association.", "application/json", {
                "type": "object", "required": ["item"],
                "properties": {"item": {"$ref": "#/components/schemas/Association"}}}),
            errors=("404", "405", "429", "503"), tags=tags),
        "/v1/associations.csv": get(
            "exportAssociationsCsv", f"Export a directory search as CSV (RFC 4180, UTF-8), "
            f"up to {export_max} associations; lists joined with |.",
            parameters(max_limit, export=True), ok("CSV.", "text/csv", {"type": "string"}),
            tags=("exports",)),
        "/v1/associations.json": get(
            "exportAssociationsJson", f"Export a directory search as JSON, up to "
            f"{export_max} associations.", parameters(max_limit, export=True),
            ok("JSON.", "application/json", {
                "type": "object", "required": ["total", "items"],
                "properties": {"total": {"type": "integer", "minimum": 0},
                               "items": {"type": "array", "items": {
                                   "$ref": "#/components/schemas/Association"}}}}),
            tags=("exports",)),
    }
    return out


SCHEMAS = {"Association": ASSOCIATION, "DirectoryPage": DIRECTORY_PAGE}
