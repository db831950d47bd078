"""Parameters and schemas of the OpenAPI description (see :mod:`services.query.openapi`)."""

from __future__ import annotations

import re
from typing import Any

from services.query.params import (
    AUDIENCE_ALIASES,
    MAX_CURSOR,
    MAX_LENGTHS,
    MAX_Q,
    MAX_RAW_LIST,
    MAX_VALUE_LENGTH,
    MAX_VALUES,
    PERIODS,
    STATUSES,
    VOCABULARIES,
)


def param(name: str, description: str, schema: dict[str, Any], *, required: bool = False,
          explode: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "in": "query", "required": required,
                           "description": description, "schema": schema}
    if explode:
        out["style"] = "form"
        out["explode"] = True
    return out


def vocabulary_pattern(values: tuple[str, ...]) -> str:
    """A comma list of ``values`` (blanks around them, empty pieces allowed), as accepted."""
    alternatives = "|".join(re.escape(v) for v in values)
    piece = rf"[ \t]*(?:(?:{alternatives})[ \t]*)?"
    return rf"^{piece}(?:,{piece})*$"


def string_list(values: tuple[str, ...] | None = None) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "string", "maxLength": MAX_RAW_LIST}
    if values is not None:
        items["pattern"] = vocabulary_pattern(values)
        items["examples"] = list(values[:3])
    return {"type": "array", "items": items, "maxItems": MAX_VALUES}


MOMENT = {"type": "string", "maxLength": MAX_LENGTHS["from"],
          "description": "An ISO 8601 date (2026-12-05) or date-time (2026-12-05T20:00+01:00)."}


LISTS = (f"Repeat the parameter or separate values with commas; at most {MAX_VALUES} values "
         f"of at most {MAX_VALUE_LENGTH} characters each.")


def search_parameters(max_limit: int, *, export: bool = False) -> list[dict[str, Any]]:
    start = ("Start of the period (ISO date or date-time); ongoing occurrences are included. "
             + ("Default: the start of today." if export else "Default: now."))
    params = [
        param("q", "French full text: accent-insensitive, stemmed, every word required, "
              "prefix match on the last one.", {"type": "string", "maxLength": MAX_Q}),
        param("from", start, MOMENT),
        param("to", "End of the period: an ISO date (inclusive) or date-time (exclusive). "
              "Must be after 'from'.", MOMENT),
        param("period", "A rolling period instead of 'from' and 'to', resolved at each "
              "request in the service's time zone (subscriptions stay current): "
              + "; ".join(f"{k}: {v}" for k, v in PERIODS.items()) + ".",
              {"type": "string", "enum": list(PERIODS)}),
        param("theme", "Theme codes (see /v1/themes); any of them: "
              + ", ".join(VOCABULARIES["theme"]) + ".",
              string_list(VOCABULARIES["theme"]), explode=True),
        param("keyword", "Keywords; any of them.", string_list(), explode=True),
        param("quartier", "Rennes quartiers; any of them.", string_list(), explode=True),
        param("commune", "Communes of Rennes Métropole; any of them.", string_list(),
              explode=True),
        param("accessibility", "Accessibility codes; all of them are required: "
              + ", ".join(VOCABULARIES["accessibility"]) + ".",
              string_list(VOCABULARIES["accessibility"]), explode=True),
        param("audience", "Audiences; any of them: " + ", ".join(VOCABULARIES["audience"])
              + "; English names are accepted too (" + ", ".join(AUDIENCE_ALIASES) + ").",
              string_list(VOCABULARIES["audience"] + tuple(AUDIENCE_ALIASES)), explode=True),
        param("organizer", "Organizers; any of them.", string_list(), explode=True),
        param("source", "Source ids; any of them.", string_list(), explode=True),
        param("status", "Statuses; any of them: " + ", ".join(STATUSES)
              + ". Cancelled occurrences are hidden unless asked for here or with "
              "include_cancelled.", string_list(STATUSES), explode=True),
        param("include_cancelled", "Also list cancelled occurrences"
              + (" (default true for ICS)." if export else "."), {"type": "boolean"}),
        param("free", "Only free (true) or only paying (false) events.", {"type": "boolean"}),
        param("near", "A point 'lat,lon' (WGS 84) for the radius filter and distance sort.",
              {"type": "string", "maxLength": MAX_LENGTHS["near"]}),
        param("radius_km", "Radius around 'near', in km (needs 'near').",
              {"type": "number", "minimum": 0.01, "maximum": 500}),
        param("bbox", "A box 'min_lon,min_lat,max_lon,max_lat' (WGS 84).",
              {"type": "string", "maxLength": MAX_LENGTHS["bbox"]}),
        param("sort", "Order: date (default), relevance (default with q; needs q: BM25 over "
              "the 200 soonest matches, the later ones follow by date), distance (needs near).",
              {"type": "string", "enum": ["date", "relevance", "distance"]}),
        param("limit", ("Most occurrences in the export." if export else "Page size."),
              {"type": "integer", "minimum": 1, "maximum": max_limit}),
        param("cursor", "Opaque cursor: the 'next' of the previous page.",
              {"type": "string", "minLength": 1, "maxLength": MAX_CURSOR}),
    ]
    for item in params:
        if item.get("explode"):
            item["description"] += " " + LISTS
    if not export:
        params.append(param("facets", "Compute facet counts (default true).",
                            {"type": "boolean"}))
    return params


NULLABLE_STRING = {"type": ["string", "null"]}

LOCATION = {
    "type": ["object", "null"],
    "properties": {
        "name": NULLABLE_STRING,
        "address": NULLABLE_STRING,
        "postcode": NULLABLE_STRING,
        "city": NULLABLE_STRING,
        "lat": {"type": ["number", "null"]},
        "lon": {"type": ["number", "null"]},
        "quartier": NULLABLE_STRING,
        "commune": NULLABLE_STRING,
        "insee": NULLABLE_STRING,
        "precision": {
            "type": ["string", "null"],
            "enum": ["source", "venue", "street", "commune", None],
            "description": "How lat/lon were obtained: given by the source, a known venue, a "
            "street's representative point, or 'commune': the commune's centroid, because "
            "only the commune is known (the event is somewhere in it; not an exact point, "
            "and no quartier).",
        },
        "reason": NULLABLE_STRING,
        "online": {"type": "boolean"},
    },
}

SOURCE = {
    "type": "object",
    "required": ["source_id"],
    "properties": {
        "source_id": {"type": "string"},
        "event_id": {"type": "string"},
        "url": NULLABLE_STRING,
    },
}

OCCURRENCE = {
    "type": "object",
    "description": "One occurrence of an event, with the event's fields.",
    "required": ["id", "event_id", "title", "start", "end", "status", "sources"],
    "properties": {
        "id": {"type": "string", "description": "Stable occurrence id."},
        "event_id": {"type": "string"},
        "source_id": {"type": "string"},
        "title": {"type": "string"},
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "all_day": {"type": "boolean"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "description": {"type": "string", "description": "Sanitized HTML."},
        "description_text": {"type": "string"},
        "url": NULLABLE_STRING,
        "location": LOCATION,
        "organizer": NULLABLE_STRING,
        "categories": {"type": "array", "items": {"type": "string"}},
        "themes": {"type": "array", "items": {"type": "string"}},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "accessibility": {"type": "array", "items": {"type": "string"}},
        "audience": {"type": "array", "items": {"type": "string"}},
        "is_free": {"type": ["boolean", "null"]},
        "price": NULLABLE_STRING,
        "image": NULLABLE_STRING,
        "updated": {"type": ["string", "null"]},
        "sources": {"type": "array", "items": SOURCE},
        "score": {"type": "number", "description": "Relevance (sort=relevance)."},
        "title_html": {"type": "string",
                       "description": "With q: the escaped title, matches in <mark>."},
        "snippet": {"type": "string", "description": "With q: an escaped excerpt of the "
                    "description around the first match, matches in <mark>."},
    },
}

FACET = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {
            "value": {"type": ["string", "boolean", "integer", "null"]},
            "count": {"type": "integer", "minimum": 0},
            "label": {"type": "string", "description": "French label (themes, "
                      "accessibility, audience)."},
        },
    },
}

def search_page(item: str, facets: str) -> dict[str, Any]:
    """A page of a search: total, items (schema ``item``), next, optional ``facets``."""
    return {
        "type": "object",
        "required": ["total", "items", "next"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "next": {"type": ["string", "null"], "description": "Cursor of the next page."},
            "facets": {"type": "object", "description": facets,
                       "additionalProperties": FACET},
        },
    }


SEARCH_PAGE = search_page("Occurrence", "Counts over the whole filtered set, by facet "
                          "(themes, quartier, accessibility, keywords, organizer, ...).")

EVENT_DETAIL = {
    "type": "object",
    "required": ["item", "occurrences", "sources", "related"],
    "properties": {
        "item": {"$ref": "#/components/schemas/Occurrence"},
        "occurrences": {"type": "array", "description": "The event's other occurrences.",
                        "items": {"$ref": "#/components/schemas/Occurrence"}},
        "sources": {"type": "array", "description": "Every source the event came from.",
                    "items": SOURCE},
        "related": {"type": "array", "description": "Upcoming related events.",
                    "items": {"$ref": "#/components/schemas/Occurrence"}},
    },
}

TERMS = {
    "type": "object",
    "required": ["items"],
    "properties": {"items": {"type": "array", "items": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 0},
                       "label": {"type": "string"}},
    }}},
}

SUGGESTIONS = {
    "type": "object",
    "required": ["items"],
    "properties": {"items": {"type": "array", "items": {
        "type": "object",
        "required": ["text", "kind"],
        "properties": {"text": {"type": "string"},
                       "kind": {"type": "string",
                                "enum": ["title", "keyword", "organizer", "place"]}},
    }}},
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "details"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "description": "Stable, machine-readable "
                     "(invalid_parameter, not_found, event_not_found, rate_limited, ...)."},
            "message": {"type": "string", "description": "For people."},
            "details": {"type": "object", "description": "What was wrong: for "
                        "invalid_parameter, 'parameter' and 'reason'."},
        },
    }},
}
