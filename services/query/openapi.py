"""The OpenAPI 3.1 description of the query service, served at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/responses/Error"}


def _param(name: str, description: str, schema: dict[str, Any], explode: bool = False
           ) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": False,
                             "description": description, "schema": schema}
    if explode:
        param["style"] = "form"
        param["explode"] = True
    return param


STRING_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}}

SEARCH_PARAMETERS: list[dict[str, Any]] = [
    _param("q", "French full text (accent-insensitive, stemmed, prefix on the last word).",
           {"type": "string", "maxLength": 200}),
    _param("from", "Start of the period (ISO date or date-time); default: now.",
           {"type": "string"}),
    _param("to", "End of the period (ISO date, inclusive, or date-time).", {"type": "string"}),
    _param("theme", "Theme codes (see /v1/themes); any of them.", STRING_LIST, True),
    _param("keyword", "Keywords; any of them.", STRING_LIST, True),
    _param("quartier", "Rennes quartier names; any of them.", STRING_LIST, True),
    _param("commune", "Rennes Métropole communes; any of them.", STRING_LIST, True),
    _param("accessibility", "Accessibility codes; all of them.", STRING_LIST, True),
    _param("audience", "Audiences (children, students, ...); any of them.", STRING_LIST, True),
    _param("organizer", "Organizers; any of them.", STRING_LIST, True),
    _param("source", "Source ids; any of them.", STRING_LIST, True),
    _param("status", "Statuses; cancelled events are hidden unless asked for.",
           {"type": "array", "items": {"type": "string", "enum": [
               "scheduled", "cancelled", "postponed", "rescheduled", "moved_online", "full",
               "tentative"]}}, True),
    _param("include_cancelled", "Also show cancelled events.", {"type": "boolean"}),
    _param("free", "Only free (true) or paying (false) events.", {"type": "boolean"}),
    _param("near", "A point 'lat,lon' for distance filters and sort.", {"type": "string"}),
    _param("radius_km", "Radius around 'near', in km.",
           {"type": "number", "minimum": 0.01, "maximum": 500}),
    _param("bbox", "A box 'min_lon,min_lat,max_lon,max_lat'.", {"type": "string"}),
    _param("sort", "Order of results.", {"type": "string",
                                          "enum": ["date", "relevance", "distance"]}),
    _param("facets", "Compute facet counts (default true).", {"type": "boolean"}),
    _param("limit", "Page size.", {"type": "integer", "minimum": 1, "maximum": 100}),
    _param("cursor", "Opaque cursor from a previous page's 'next'.",
           {"type": "string", "maxLength": 200}),
]

LOCATION = {
    "type": ["object", "null"],
    "properties": {
        "name": {"type": ["string", "null"]},
        "address": {"type": ["string", "null"]},
        "postcode": {"type": ["string", "null"]},
        "city": {"type": ["string", "null"]},
        "lat": {"type": ["number", "null"]},
        "lon": {"type": ["number", "null"]},
        "quartier": {"type": ["string", "null"]},
        "commune": {"type": ["string", "null"]},
        "precision": {"type": ["string", "null"]},
    },
}

OCCURRENCE = {
    "type": "object",
    "required": ["id", "event_id", "title", "start", "end", "status", "sources"],
    "properties": {
        "id": {"type": "string"},
        "event_id": {"type": "string"},
        "title": {"type": "string"},
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "all_day": {"type": "boolean"},
        "status": {"type": "string"},
        "description": {"type": "string", "description": "Sanitized HTML."},
        "description_text": {"type": "string"},
        "url": {"type": ["string", "null"]},
        "location": LOCATION,
        "organizer": {"type": ["string", "null"]},
        "themes": {"type": "array", "items": {"type": "string"}},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "accessibility": {"type": "array", "items": {"type": "string"}},
        "is_free": {"type": ["boolean", "null"]},
        "sources": {"type": "array", "items": {"type": "object"}},
        "snippet": {"type": "string"},
    },
}

FACET = {
    "type": "array",
    "items": {"type": "object", "required": ["value", "count"],
              "properties": {"value": {"type": "string"}, "count": {"type": "integer"}}},
}


def spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Maillage",
            "version": "1",
            "description": "Unified search over the events of Rennes associations.",
        },
        "paths": {
            "/v1/events": {
                "get": {
                    "operationId": "searchEvents",
                    "summary": "Search event occurrences (upcoming first by default).",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {
                        "200": {
                            "description": "A page of occurrences.",
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "required": ["total", "items", "next"],
                                "properties": {
                                    "total": {"type": "integer"},
                                    "items": {"type": "array", "items": OCCURRENCE},
                                    "next": {"type": ["string", "null"]},
                                    "facets": {"type": "object",
                                               "additionalProperties": FACET},
                                },
                            }}},
                        },
                        "400": ERROR,
                        "429": ERROR,
                    },
                }
            },
            "/v1/events/{id}": {
                "get": {
                    "operationId": "getEvent",
                    "summary": "One occurrence, its event's other occurrences and its sources.",
                    "parameters": [{"name": "id", "in": "path", "required": True,
                                    "schema": {"type": "string", "maxLength": 100}}],
                    "responses": {
                        "200": {"description": "The occurrence.", "content": {
                            "application/json": {"schema": {
                                "type": "object",
                                "required": ["item", "occurrences"],
                                "properties": {
                                    "item": OCCURRENCE,
                                    "occurrences": {"type": "array", "items": OCCURRENCE},
                                    "related": {"type": "array", "items": OCCURRENCE},
                                },
                            }}}},
                        "404": ERROR,
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness and index size.",
                    "responses": {"200": {"description": "Healthy.", "content": {
                        "application/json": {"schema": {"type": "object"}}}},
                        "503": ERROR},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {"200": {"description": "OpenAPI 3.1.", "content": {
                        "application/json": {"schema": {"type": "object"}}}}},
                }
            },
        },
        "components": {
            "responses": {
                "Error": {
                    "description": "An error, in the one error shape.",
                    "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Error"}}},
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "required": ["code", "message", "details"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "details": {"type": "object"},
                        },
                    }},
                }
            },
        },
    }
