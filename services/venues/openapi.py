"""``/v1/venues``, ``/v1/venues/{id}`` and ``/v1/venues/{id}/slots.ics`` in the OpenAPI
description: :func:`paths` takes the description's own ``get`` and ``ok`` builders
(:mod:`services.query.openapi`), as :func:`services.skills.openapi.paths` does."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from services.query.openapi_schemas import param
from services.venues.model import CAPACITY_BANDS, EQUIPMENT, PRICE_BANDS
from shared.store.board_base import MAX_LIMIT
from shared.vocab import ACCESSIBILITY

TEXT = {"type": "string"}
NULLABLE = {"type": ["string", "null"]}
INTEGER = {"type": ["integer", "null"]}
STRINGS = {"type": "array", "items": TEXT}


def one_of(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """One value of ``values``, blanks around it ignored; empty (a form's blank field): none."""
    return {"type": "string",
            "pattern": r"^\s*(?:" + "|".join(re.escape(v) for v in values) + r")?\s*$"}


SLOT = {"type": "object", "required": ["id", "venue", "starts", "ends", "state"],
        "properties": {"id": TEXT, "venue": TEXT, "starts": TEXT, "ends": TEXT,
                       "state": {"const": "free"}}}
VENUE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "owner", "owner_name", "name", "address", "equipment",
                 "accessibility", "rates"],
    "description": "A venue's public fields (never who created it), placed by the "
                   "geocoder when its address allows.",
    "properties": {
        "id": TEXT, "owner": {**TEXT, "description": "An association's id, or ville."},
        "owner_name": TEXT, "name": TEXT,
        "address": {"type": "object", "properties": {
            "street": NULLABLE, "postcode": NULLABLE, "city": NULLABLE}},
        "description": NULLABLE, "capacity": INTEGER, "surface": INTEGER,
        "equipment": STRINGS, "accessibility": STRINGS,
        "rates": {"type": "array", "items": {
            "type": "object", "required": ["unit", "audience", "cents", "euros"],
            "properties": {"unit": TEXT, "audience": TEXT,
                           "cents": {"type": "integer", "minimum": 0},
                           "euros": {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$"}}}},
        "conditions": NULLABLE, "quartier": TEXT, "commune": TEXT,
        "lat": {"type": "number"}, "lon": {"type": "number"},
    },
}


def parameters() -> list[dict[str, Any]]:
    def every(name: str, what: str, values: list[str]) -> dict[str, Any]:
        return param(name, f"{what}: every one asked for is required (repeat the "
                     "parameter; empty values are ignored).",
                     {"type": "array", "items": one_of(values)}, explode=True)

    return [
        param("q", "French words: accent-insensitive, stemmed, every word required.", TEXT),
        param("quartier", "Quartiers (repeat the parameter; the first 20 count).",
              {"type": "array", "items": TEXT}, explode=True),
        every("equipment", "Equipment codes", list(EQUIPMENT)),
        every("accessibility", "Accessibility codes", list(ACCESSIBILITY)),
        param("capacity", "At least that many people: one of "
              + ", ".join(map(str, CAPACITY_BANDS)) + " (empty: any).",
              one_of([str(b) for b in CAPACITY_BANDS])),
        param("max_price", "A rate at that many euros or less: one of "
              + ", ".join(map(str, PRICE_BANDS)) + " (empty: any).",
              one_of([str(b) for b in PRICE_BANDS])),
        param("free_on", "Venues with a free slot that local day (AAAA-MM-JJ, today or "
              "later; empty: any day).",
              {"type": "string", "pattern": r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})?\s*$"}),
        param("limit", f"Page size (default 20, at most {MAX_LIMIT}; empty: the default).",
              {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
        param("cursor", "The next page (the previous page's next).", TEXT),
    ]


def paths(get: Callable[..., dict[str, Any]], ok: Callable[..., dict[str, Any]]
          ) -> dict[str, Any]:
    tags = ("venues",)
    venue_id = [{"name": "id", "in": "path", "required": True, "description": "Venue id.",
                 "schema": {"type": "string", "minLength": 1, "maxLength": 200}}]
    return {
        "/v1/venues": get(
            "searchVenues", "Search the rooms, premises and equipment associations and the "
            "city lend or let.", parameters(),
            ok("A page of venues.", "application/json", {
                "type": "object", "required": ["total", "items", "next"],
                "properties": {"total": {"type": "integer", "minimum": 0},
                               "items": {"type": "array", "items": VENUE},
                               "next": {"type": ["string", "null"]}}}),
            errors=("400", "405", "429", "503"), tags=tags),
        "/v1/venues/{id}": get(
            "getVenue", "One venue and its free slots to come, from the store of record.",
            venue_id,
            ok("The venue.", "application/json", {
                "type": "object", "required": ["item"], "properties": {"item": {
                    **VENUE, "required": [*VENUE["required"], "slots", "slots_ics"],
                    "properties": {**VENUE["properties"],
                                   "slots": {"type": "array", "items": SLOT},
                                   "slots_ics": TEXT}}}}),
            errors=("404", "405", "429", "503"), tags=tags),
        "/v1/venues/{id}/slots.ics": get(
            "venueSlotsIcs", "A venue's free slots to come as iCalendar (RFC 5545), to "
            "subscribe to in a calendar app.", venue_id,
            ok("iCalendar.", "text/calendar", {"type": "string"}),
            errors=("404", "405", "429", "503"), tags=tags),
    }
