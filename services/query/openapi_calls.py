"""Calls for projects and the cross-kind search in the OpenAPI description
(:mod:`services.query.openapi`): ``/v1/calls``, ``/v1/calls/{id}``, ``/v1/calls.ics``,
``/v1/calls.rss`` (:mod:`services.query.calls_routes`, :mod:`services.query.calls_params`)
and ``/v1/search`` (:mod:`services.query.search`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.query import search
from services.query.openapi_schemas import (
    FACET,
    LISTS,
    MOMENT,
    param,
    search_page,
    string_list,
)
from services.query.params import MAX_Q
from shared.calls import CALL_AUDIENCES, PERIMETERS
from shared.taxonomy import THEMES

NULLABLE = {"type": ["string", "null"]}
THEME_LIST = string_list(tuple(t.code for t in THEMES))
CALL = {
    "type": "object",
    "required": ["id", "publisher", "title", "funder", "deadline", "status"],
    "description": "A call for projects, as its publisher pushed it (or Maillage harvested "
                   "it), with its status and when Maillage first saw it.",
    "properties": {
        "id": {"type": "string"}, "publisher": {"type": "string"},
        "publisher_id": {"type": "string"}, "title": {"type": "string"},
        "funder": {"type": "string"},
        "deadline": {"type": "string", "format": "date-time"},
        "opens": NULLABLE, "description": {"type": "string", "description": "Sanitized HTML."},
        "description_text": {"type": "string"},
        "themes": {"type": "array", "items": {"type": "string"}},
        "audiences": {"type": "array", "items": {"type": "string"}},
        "perimeter": {"type": "string"}, "quartier": NULLABLE,
        "amount": {"type": ["object", "null"]}, "application_url": NULLABLE,
        "attachments": {"type": "array", "items": {"type": "object"}},
        "contact": {"type": ["object", "null"]}, "joint_welcome": {"type": "boolean"},
        "status": {"type": "string", "enum": ["open", "upcoming", "closed"]},
        "first_seen": {"type": "string"}, "kind": {"const": "call"},
    },
}
CALLS_PAGE = search_page("Call", "Counts over the filtered set: themes, audiences, funder, "
                         "perimeter, quartier, status.")
SEARCH_ALL_PAGE = {
    "type": "object",
    "required": ["total", "items", "next", "facets"],
    "properties": {
        "total": {"type": "integer", "minimum": 0, "description": "Results of every kind."},
        "items": {"type": "array", "items": {"oneOf": [
            {"allOf": [{"$ref": "#/components/schemas/Occurrence"},
                       {"type": "object", "required": ["kind"],
                        "properties": {"kind": {"const": "event"}}}]},
            {"allOf": [{"$ref": "#/components/schemas/Call"},
                       {"type": "object", "required": ["kind"],
                        "properties": {"kind": {"const": "call"}}}]},
            {"allOf": [{"$ref": "#/components/schemas/Association"},
                       {"type": "object", "required": ["kind"],
                        "properties": {"kind": {"const": "association"}}}]},
        ]}},
        "next": {"type": ["string", "null"], "description": "Cursor of the next page; null "
                 "on the last."},
        "facets": {"type": "object", "required": ["kind"], "properties": {"kind": FACET}},
    },
}


def call_parameters(max_limit: int, *, export: bool = False) -> list[dict[str, Any]]:
    params = [
        param("q", "French words (stemmed, the last one as a prefix).",
              {"type": "string", "maxLength": MAX_Q}),
        param("theme", "Theme codes (/v1/themes), any of them. " + LISTS, THEME_LIST,
              explode=True),
        param("audience", "Who may apply, any of them. " + LISTS,
              string_list(tuple(CALL_AUDIENCES)), explode=True),
        param("status", "open (default), upcoming, closed or all. " + LISTS,
              string_list(("open", "upcoming", "closed", "all")), explode=True),
        param("deadline_before", "Deadline before this date (the whole day included) or "
              "date-time.", MOMENT),
        param("deadline_after", "Deadline from this date (its start) or date-time.", MOMENT),
        param("funder", "Funders (exact, case-insensitive). " + LISTS, string_list(),
              explode=True),
        param("perimeter", "Perimeters. " + LISTS, string_list(tuple(PERIMETERS)),
              explode=True),
        param("quartier", "Quartiers (exact, case-insensitive). " + LISTS, string_list(),
              explode=True),
        param("publisher", "Publishers (exact, case-insensitive). " + LISTS, string_list(),
              explode=True),
    ]
    if not export:
        params += [
            param("sort", "deadline (default), relevance or new (first seen, newest first).",
                  {"type": "string", "enum": ["deadline", "relevance", "new"]}),
            param("limit", f"Page size (default 20, at most {max_limit}).",
                  {"type": "integer", "minimum": 1, "maximum": max_limit}),
            param("cursor", "The next page (the previous page's next).",
                  {"type": "string", "maxLength": 200}),
            param("facets", "Add facet counts.", {"type": "boolean"}),
        ]
    return params


def search_parameters(max_limit: int) -> list[dict[str, Any]]:
    every = " Applies to every kind."
    return [
        param("q", "French words: events' full text, calls' words, associations' names "
              "and purpose." + every, {"type": "string", "maxLength": MAX_Q}),
        param("kind", "event, call, association (default: all). " + LISTS,
              string_list(search.KINDS), explode=True),
        param("theme", "Theme codes (/v1/themes), any of them." + every + " " + LISTS,
              THEME_LIST, explode=True),
        param("quartier", "Quartiers, any of them (an event's place, a call's quartier, an "
              "association's head office or activity)." + every + " " + LISTS,
              string_list(), explode=True),
        param("limit", f"Page size (default 20, at most {max_limit}).",
              {"type": "integer", "minimum": 1, "maximum": max_limit}),
        param("cursor", "The next page (the previous page's next, with the same kind).",
              {"type": "string", "maxLength": search.MAX_CURSOR}),
    ]


def paths(get: Callable[..., dict[str, Any]], ok: Callable[..., dict[str, Any]],
          max_limit: int, export_max: int) -> dict[str, Any]:
    tags = ("calls",)
    return {
        "/v1/calls": get(
            "searchCalls", "Search the calls for projects (open ones by deadline by "
            "default), with facet counts.", call_parameters(max_limit),
            ok("A page of calls.", "application/json",
               {"$ref": "#/components/schemas/CallsPage"}), tags=tags),
        "/v1/calls/{id}": get(
            "getCall", "One call and the associations that declared interest in it.",
            [{"name": "id", "in": "path", "required": True, "description": "Its id.",
              "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
            ok("The call.", "application/json", {
                "type": "object", "required": ["item", "interests"],
                "properties": {"item": {"$ref": "#/components/schemas/Call"},
                               "interests": {"type": "array", "items": {"type": "object"}}}}),
            errors=("404", "405", "429"), tags=tags),
        "/v1/calls.ics": get(
            "exportCallsIcs", f"The deadlines of a calls search as iCalendar (RFC 5545), up "
            f"to {export_max} calls.", call_parameters(max_limit, export=True),
            ok("iCalendar.", "text/calendar", {"type": "string"}), tags=("exports",)),
        "/v1/calls.rss": get(
            "exportCallsRss", f"The newest calls of a search as RSS 2.0, up to {export_max}.",
            call_parameters(max_limit, export=True),
            ok("RSS 2.0.", "application/rss+xml", {"type": "string"}), tags=("exports",)),
        "/v1/search": get(
            "searchAll", "One search across kinds: upcoming events and open or upcoming "
            "calls merged by date (start, deadline), then associations (best match first); "
            "every filter applies to every kind; unknown parameters are refused.",
            search_parameters(max_limit),
            ok("A page of results of every kind.", "application/json",
               {"$ref": "#/components/schemas/SearchAllPage"}), tags=("search",)),
    }


SCHEMAS = {"Call": CALL, "CallsPage": CALLS_PAGE, "SearchAllPage": SEARCH_ALL_PAGE}


WRITE_ERRORS = {
    "400": "The body is not JSON (code invalid_json).",
    "401": "No bearer token, or one invalid or revoked (codes unauthorized, invalid_token).",
    "404": "No such call, alert or interest of this token.",
    "409": "The call is closed or does not welcome joint applications, or too many alerts.",
    "413": "Body larger than 16 KiB.",
    "415": "The body is not application/json.",
    "422": "Invalid fields (code invalid_body; details.errors lists path and reason).",
    "503": "The store of record cannot be reached (interests).",
}


def write(method: str, operation_id: str, summary: str, status: str, result: dict[str, Any],
          errors: tuple[str, ...], body: dict[str, Any] | None = None,
          path_id: str | None = None, deprecated: bool = False) -> dict[str, Any]:
    """An authenticated operation (``Authorization: Bearer mlg_...``, an operator-issued
    association token: :mod:`services.query.calls_social`)."""
    responses: dict[str, Any] = {
        status: {"description": "Done.", "content": {"application/json": {"schema": result}}}}
    for code in errors:
        responses[code] = {"description": WRITE_ERRORS[code], "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses["429"] = {"$ref": "#/components/responses/RateLimited"}
    operation: dict[str, Any] = {
        "operationId": operation_id, "summary": summary, "tags": ["calls"],
        "security": [{"associationToken": []}], "responses": responses,
        "parameters": [] if path_id is None else [{
            "name": "id", "in": "path", "required": True, "description": path_id,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
    }
    if body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body}}}
    if deprecated:
        operation["deprecated"] = True
    return {method: operation}


ALERT = {"type": "object", "required": ["id", "url", "query"], "properties": {
    "id": {"type": "string"}, "url": {"type": "string"},
    "query": {"type": "object", "additionalProperties": {"type": "array",
                                                         "items": {"type": "string"}}},
    "secret": {"type": "string", "description": "whsec_..., shown once, to check the "
               "Standard Webhooks signature of each delivery."}}}


def write_paths() -> dict[str, Any]:
    """The authenticated writes: interest declarations (deprecated: members declare on the
    call's page) and saved-search alerts."""
    interests = {
        **write("post", "declareInterest", "Declare the token's association interested in a "
                "joint application (deprecated).", "201",
                {"type": "object", "required": ["item"],
                 "properties": {"item": {"type": "object"}}},
                ("400", "401", "404", "409", "413", "415", "422", "503"),
                body={"type": "object", "required": ["contact", "brings"], "properties": {
                    "contact": {"type": "string", "minLength": 1, "maxLength": 300},
                    "brings": {"type": "string", "minLength": 1, "maxLength": 2000}}},
                path_id="The call's id.", deprecated=True),
        **write("delete", "withdrawInterest", "Withdraw it (deprecated).", "200",
                {"type": "object", "properties": {"withdrawn": {"const": True}}},
                ("401", "404", "503"), path_id="The call's id.", deprecated=True),
    }
    alerts = {
        **write("post", "createAlert", "Save a calls search: each new matching call is "
                "POSTed to url, signed (Standard Webhooks).", "201", ALERT,
                ("400", "401", "409", "413", "415", "422"),
                body={"type": "object", "required": ["url"], "properties": {
                    "url": {"type": "string", "maxLength": 2000,
                            "description": "A public http(s) address."},
                    "query": {"type": "object", "description": "Parameters of /v1/calls."}}}),
        **write("get", "listAlerts", "The token's alerts.", "200",
                {"type": "object", "required": ["items"],
                 "properties": {"items": {"type": "array", "items": {"type": "object"}}}},
                ("401",)),
    }
    return {
        "/v1/calls/{id}/interests": interests,
        "/v1/alerts": alerts,
        "/v1/alerts/{id}": write("delete", "deleteAlert", "Delete one of the token's alerts.",
                                 "200", {"type": "object",
                                         "properties": {"deleted": {"const": True}}},
                                 ("401", "404"), path_id="The alert's id."),
    }
