"""The OpenAPI 3.1 description of the query service, served at ``/openapi.json``.

It describes every endpoint completely: parameters, every answer (200, 304, 400, 404, 405,
429, 503; and for the authenticated writes of :mod:`services.query.openapi_calls` 201, 401,
409, 413, 415, 422) with its schema and headers, and the one error shape. The schemathesis test
(tests/integration/query/test_openapi_conformance.py) checks the running service against it.
"""

from __future__ import annotations

from typing import Any

from services.query.openapi_associations import SCHEMAS as ASSOCIATION_SCHEMAS
from services.query.openapi_calls import SCHEMAS as CALL_SCHEMAS
from services.query.openapi_schemas import (
    ERROR,
    EVENT_DETAIL,
    OCCURRENCE,
    SEARCH_PAGE,
    SUGGESTIONS,
    TERMS,
    param,
    search_parameters,
)

EXPORT_MAX_DEFAULT = 1000


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def ok(description: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {
            "ETag": {"$ref": "#/components/headers/ETag"},
            "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
        },
        "content": {media: {"schema": schema}},
    }


ERROR_RESPONSES = {"400": "BadRequest", "404": "NotFound", "405": "MethodNotAllowed",
                   "429": "RateLimited", "503": "Unavailable"}


def get(operation_id: str, summary: str, parameters: list[dict[str, Any]],
        success: dict[str, Any], errors: tuple[str, ...] = ("400", "405", "429"),
        tags: tuple[str, ...] = ("events",)) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": success, "304": ref("NotModified")}
    responses.update({code: ref(ERROR_RESPONSES[code]) for code in errors})
    return {"get": {"operationId": operation_id, "summary": summary, "tags": list(tags),
                    "parameters": parameters, "responses": responses}}


def limit(default: int, high: int) -> dict[str, Any]:
    return param("limit", f"How many values (default {default}).",
                 {"type": "integer", "minimum": 1, "maximum": high})


JSONLD = {
    "type": "object",
    "required": ["@context", "@type", "itemListElement"],
    "properties": {
        "@context": {"const": "https://schema.org"},
        "@type": {"const": "ItemList"},
        "numberOfItems": {"type": "integer", "minimum": 0},
        "itemListElement": {"type": "array", "items": {
            "type": "object",
            "required": ["@type", "position", "item"],
            "properties": {
                "@type": {"const": "ListItem"},
                "position": {"type": "integer", "minimum": 1},
                "item": {"type": "object", "required": ["@type", "name", "startDate"],
                         "properties": {"@type": {"const": "Event"}}},
            },
        }},
    },
}

EXPORTS = {
    "ics": ("text/calendar", "iCalendar (RFC 5545), to subscribe to in a calendar app."),
    "rss": ("application/rss+xml", "RSS 2.0 feed."),
    "jsonld": ("application/ld+json", "schema.org ItemList of Events (JSON-LD)."),
    "csv": ("text/csv", "CSV (RFC 4180, UTF-8), one row per occurrence."),
}


def paths(max_limit: int, export_max: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "/v1/events": get(
            "searchEvents", "Search occurrences (upcoming first), with facet counts.",
            search_parameters(max_limit),
            ok("A page of occurrences.", "application/json",
               {"$ref": "#/components/schemas/SearchPage"})),
        "/v1/events/{id}": get(
            "getEvent", "One occurrence, its event's other occurrences, its sources and "
            "related events.",
            [{"name": "id", "in": "path", "required": True, "description": "Occurrence id.",
              "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
            ok("The occurrence.", "application/json",
               {"$ref": "#/components/schemas/EventDetail"}),
            errors=("404", "405", "429")),
    }
    for fmt, (media, summary) in EXPORTS.items():
        out[f"/v1/events.{fmt}"] = get(
            f"exportEvents{fmt.capitalize()}",
            f"Export a search as {summary} Same parameters as /v1/events; reads up to "
            f"{export_max} occurrences.",
            search_parameters(export_max, export=True),
            ok(summary, media, JSONLD if fmt == "jsonld" else {"type": "string"}),
            tags=("exports",))
    out["/v1/themes"] = get(
        "listThemes", "Every theme, with its French label and count of upcoming occurrences.",
        [], ok("Themes.", "application/json", TERMS), tags=("vocabularies",))
    for name, what in (("quartiers", "Quartiers"), ("keywords", "Keywords"),
                       ("organizers", "Organizers")):
        out[f"/v1/{name}"] = get(
            f"list{what}", f"{what} of upcoming occurrences, most frequent first.",
            [limit(200, 1000)], ok(f"{what}.", "application/json", TERMS),
            tags=("vocabularies",))
    out["/v1/suggest"] = get(
        "suggest", "Completions for a search box (titles, keywords, organizers, places).",
        [param("q", "What has been typed so far.", {"type": "string", "maxLength": 100},
               required=True), limit(8, 20)],
        ok("Suggestions.", "application/json", SUGGESTIONS), tags=("vocabularies",))
    health = get("health", "Liveness and index size.", [],
                 ok("Healthy.", "application/json", {
                     "type": "object", "required": ["status", "documents"],
                     "properties": {"status": {"const": "ok"},
                                    "documents": {"type": "integer", "minimum": 0}}}),
                 errors=("405", "503"), tags=("meta",))
    from services.associations.directory_api import EXPORT_MAX as DIRECTORY_EXPORT_MAX
    from services.query.openapi_associations import paths as association_paths

    out.update(association_paths(get, ok, max_limit, DIRECTORY_EXPORT_MAX))
    from services.query.calls_routes import EXPORT_MAX as CALLS_EXPORT_MAX
    from services.query.openapi_calls import paths as call_paths
    from services.query.openapi_calls import write_paths

    out.update(call_paths(get, ok, max_limit, CALLS_EXPORT_MAX))
    out.update(write_paths())
    from services.skills.openapi import paths as skill_paths

    out.update(skill_paths(get, ok))
    from services.venues.openapi import paths as venue_paths

    out.update(venue_paths(get, ok))
    from services.network.openapi import paths as network_paths

    out.update(network_paths(get, ok))
    from services.applications.openapi import paths as application_paths

    out.update(application_paths(get, ok))
    out["/healthz"] = health
    out["/openapi.json"] = get("openapi", "This document.", [],
                               ok("OpenAPI 3.1.", "application/json", {"type": "object"}),
                               tags=("meta",))
    return out


def error_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def bad_request() -> dict[str, Any]:
    response = error_response(
        "A parameter is invalid: details.parameter names it, details.reason says why "
        "(code invalid_parameter). Only a request the HTTP layer cannot read at all (a "
        "request line or header over 8 KiB) gets a plain-text 400 instead.")
    response["content"]["text/plain"] = {"schema": {"type": "string"}}
    return response


def spec(max_limit: int = 100, export_max: int = EXPORT_MAX_DEFAULT) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Maillage",
            "version": "1",
            "description": "Unified search over the events of Rennes associations. Every "
            "answer is cacheable (ETag, If-None-Match), gzip-compressed when asked, readable "
            "cross-origin (CORS), and every error has the one shape "
            "{\"error\": {\"code\", \"message\", \"details\"}}.",
            "license": {"name": "AGPL-3.0-or-later",
                        "identifier": "AGPL-3.0-or-later"},
        },
        "paths": paths(max_limit, export_max),
        "components": {
            "schemas": {"Occurrence": OCCURRENCE, "SearchPage": SEARCH_PAGE,
                        "EventDetail": EVENT_DETAIL, "Error": ERROR, **ASSOCIATION_SCHEMAS,
                        **CALL_SCHEMAS},
            "securitySchemes": {"associationToken": {
                "type": "http", "scheme": "bearer",
                "description": "A token an operator issued to an association (mlg_...)."}},
            "headers": {
                "ETag": {"description": "Weak validator: a hash of the body.",
                         "schema": {"type": "string"}},
                "Cache-Control": {"description": "How long the answer may be cached.",
                                  "schema": {"type": "string"}},
                "Retry-After": {"description": "Seconds to wait before trying again.",
                                "required": True,
                                "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                "Allow": {"description": "Methods the resource supports.",
                          "schema": {"type": "string"}},
            },
            "responses": {
                "NotModified": {"description": "The ETag in If-None-Match still matches.",
                                "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
                "BadRequest": bad_request(),
                "NotFound": error_response("No such occurrence, association or call."),
                "MethodNotAllowed": error_response(
                    "Only GET, HEAD and OPTIONS are supported.",
                    {"Allow": {"$ref": "#/components/headers/Allow"}}),
                "RateLimited": error_response(
                    "Too many requests from this client (token bucket per IP).",
                    {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}),
                "Unavailable": error_response("The search store cannot be read."),
            },
        },
    }
