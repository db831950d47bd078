"""``/v1/applications`` and ``/v1/applications/{id}`` in the OpenAPI description:
:func:`paths` takes the description's own ``get`` and ``ok`` builders
(:mod:`services.query.openapi`), as :func:`services.skills.openapi.paths` does."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from services.applications.model import STATES
from services.applications.validate import QUARTIERS
from services.query.openapi_schemas import FACET, param
from shared.store.board_base import MAX_LIMIT
from shared.taxonomy import THEME_BY_CODE

TEXT = {"type": "string"}
STRINGS = {"type": "array", "items": TEXT}
INTEGER = {"type": ["integer", "null"]}
PARTNERS = {"type": "array", "items": {"type": "object", "required": ["id", "name"],
                                       "properties": {"id": TEXT, "name": TEXT}}}
APPLICATION = {
    "type": "object", "required": ["id", "lead", "lead_name", "title", "state", "partners"],
    "description": "A joint application's public fields (never who opened it).",
    "properties": {
        "id": TEXT, "lead": {**TEXT, "description": "The leading association's id."},
        "lead_name": TEXT, "title": TEXT, "summary": TEXT,
        "deadline": {**TEXT, "description": "The call's deadline (ISO date or date-time)."},
        "call": {**TEXT, "description": "The call's id (empty: a call Maillage does not "
                 "know)."},
        "call_title": TEXT, "funder": TEXT, "link": TEXT, "opens": TEXT, "themes": STRINGS,
        "skills": STRINGS, "quartiers": STRINGS, "wanted": TEXT, "budget_min": INTEGER,
        "budget_max": INTEGER, "state": {"type": "string", "enum": list(STATES)},
        "partners": PARTNERS, "created": TEXT, "updated": TEXT,
        "starts": TEXT, "ends": TEXT,
    },
}
#: An ISO 8601 date or date-time with offset, or nothing (a form's empty field).
MOMENT = {"type": "string", "maxLength": 40,
          "description": "An ISO 8601 date (2026-12-05) or date-time with offset "
                         "(2026-12-05T20:00+01:00); empty: no bound."}


def one_of(values: Iterable[str]) -> dict[str, Any]:
    """One of ``values``, or empty (ignored, as a form's blank field)."""
    return {"type": "string", "pattern": "^(?:" + "|".join(map(re.escape, values)) + ")?$"}


def parameters() -> list[dict[str, Any]]:
    def repeated(name: str, what: str, items: dict[str, Any] | None = None) -> dict[str, Any]:
        return param(name, f"{what} (repeat the parameter; empty values are ignored).",
                     {"type": "array", "items": items or TEXT}, explode=True)

    return [
        param("q", "French words: accent-insensitive, stemmed, every word required.", TEXT),
        repeated("call", "Calls for projects (their ids; autre: a call Maillage does not "
                 "know)"),
        repeated("theme", "Themes (/v1/themes)", one_of(sorted(THEME_BY_CODE))),
        repeated("quartier", "Quartiers", one_of(QUARTIERS)),
        repeated("state", "States", one_of(STATES)),
        param("seeking", "yes: only those looking for partners; no: the others (empty: "
              "all).", {"type": "string", "enum": ["", "yes", "no", "oui", "non"]}),
        param("from", "Applications whose opening → deadline meets [from, to].", MOMENT),
        param("to", "End of the period (not before from).", MOMENT),
        param("facets", "Add facet counts.", {"type": "boolean"}),
        param("limit", f"Page size (default 20, at most {MAX_LIMIT}).",
              {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
        param("cursor", "The next page (the previous page's next).", TEXT),
    ]


def paths(get: Callable[..., dict[str, Any]], ok: Callable[..., dict[str, Any]]
          ) -> dict[str, Any]:
    tags = ("applications",)
    return {
        "/v1/applications": get(
            "searchApplications", "Search the joint applications to calls for projects "
            "(abandoned ones are not searched), soonest deadline first.", parameters(),
            ok("A page of applications.", "application/json", {
                "type": "object", "required": ["total", "items", "next"],
                "properties": {"total": {"type": "integer", "minimum": 0},
                               "items": {"type": "array", "items": APPLICATION},
                               "next": {"type": ["string", "null"]},
                               "facets": {"type": "object", "additionalProperties": FACET}}}),
            errors=("400", "405", "429", "503"), tags=tags),
        "/v1/applications/{id}": get(
            "getApplication", "One application (abandoned ones too) and its accepted "
            "partners, from the store of record.",
            [{"name": "id", "in": "path", "required": True, "description": "Application id.",
              "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
            ok("The application.", "application/json", {
                "type": "object", "required": ["item"], "properties": {"item": APPLICATION}}),
            errors=("404", "405", "429", "503"), tags=tags),
    }
