"""``/v1/skills`` and ``/v1/skills/{id}`` in the OpenAPI description: :func:`paths` takes the
description's own ``get`` and ``ok`` builders (:mod:`services.query.openapi`), as
:func:`services.query.openapi_associations.paths` does, so that the composition root adds
them with one line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.query.openapi_schemas import FACET, LISTS, param, string_list
from services.query.params import MAX_CURSOR
from services.skills.model import MODES, PROJECT_KINDS, SKILLS, STATES, TYPES
from services.skills.search import MAX_Q, SORTS
from shared.store.board_base import MAX_LIMIT

TEXT = {"type": "string"}
NULLABLE = {"type": ["string", "null"]}
STRINGS = {"type": "array", "items": TEXT}
#: An ISO date, or nothing (an empty field of the search form means no bound).
DAY = {"type": "string", "pattern": r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"}
POST = {
    "type": "object",
    "required": ["id", "type", "title", "state"],
    "description": "A post's public fields (never its author).",
    "properties": {
        "id": {**TEXT, "description": "<owner>.<id>"},
        "type": {"type": "string", "enum": list(TYPES)},
        "title": TEXT, "description": TEXT, "skills": STRINGS, "keywords": STRINGS,
        "modes": STRINGS, "project_kinds": STRINGS, "studies": TEXT, "quartier": TEXT,
        "commune": TEXT, "effort": TEXT, "themes": STRINGS,
        "state": {"type": "string", "enum": list(STATES)},
        "owner_name": TEXT, "association": NULLABLE, "owner": NULLABLE,
        "starts": {**TEXT, "description": "A date (one post), or the start of its period "
                   "as an ISO date-time (search)."},
        "ends": TEXT, "created": TEXT, "updated": TEXT,
    },
}


def parameters() -> list[dict[str, Any]]:
    def listed(name: str, what: str, values: tuple[str, ...] | None = None
               ) -> dict[str, Any]:
        return param(name, f"{what}. {LISTS}", string_list(values), explode=True)

    return [
        param("q", "French words: accent-insensitive, stemmed, every word required.",
              {"type": "string", "maxLength": MAX_Q}),
        listed("type", "offre, besoin, etudiant or projet_etudiant", TYPES),
        listed("skill", "Skills of the vocabulary", tuple(SKILLS)),
        listed("mode", "distance or sur_place", tuple(MODES)),
        listed("state", "ouvert or en_cours (closed posts are not searched)", tuple(STATES)),
        listed("project_kind", "stage, projet_tutore or benevolat_competences",
               tuple(PROJECT_KINDS)),
        listed("quartier", "Quartiers"), listed("commune", "Communes"),
        listed("theme", "The association's themes (/v1/themes)"),
        param("association", "Only the posts of this association (its id).",
              {"type": "string", "maxLength": 200}),
        param("from", "Posts whose period meets [from, to] (ISO date; empty: no bound, as a "
              "form sends it).", DAY),
        param("to", "End of the period (ISO date, not before from; empty: no bound).", DAY),
        param("sort", "relevance (default), recent or soonest.",
              {"type": "string", "enum": list(SORTS)}),
        param("facets", "Add facet counts.", {"type": "boolean"}),
        param("limit", f"Page size (default 20, at most {MAX_LIMIT}).",
              {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
        param("cursor", "The next page (the previous page's next).",
              {"type": "string", "maxLength": MAX_CURSOR}),
    ]


def paths(get: Callable[..., dict[str, Any]], ok: Callable[..., dict[str, Any]]
          ) -> dict[str, Any]:
    tags = ("skills",)
    return {
        "/v1/skills": get(
            "searchSkills", "Search the shared skills: associations' offers and needs, "
            "students' profiles and projects for students (open ones), with facet counts.",
            parameters(), ok("A page of posts.", "application/json", {
                "type": "object", "required": ["total", "items", "next"],
                "properties": {
                    "total": {"type": "integer", "minimum": 0},
                    "items": {"type": "array", "items": POST},
                    "next": {"type": ["string", "null"]},
                    "facets": {"type": "object", "additionalProperties": FACET}}}),
            errors=("400", "405", "429", "503"), tags=tags),
        "/v1/skills/{id}": get(
            "getSkill", "One post (closed ones too), from the store of record.",
            [{"name": "id", "in": "path", "required": True, "description": "<owner>.<id>",
              "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
            ok("The post.", "application/json", {
                "type": "object", "required": ["item"], "properties": {"item": POST}}),
            errors=("404", "405", "429", "503"), tags=tags),
    }
