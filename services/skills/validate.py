"""Checks of what people send about posts and messages, the same for the forms and the JSON
API: each refusal is an :class:`InvalidInput` naming the field, in French."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date
from typing import Any

import nh3

from services.skills.model import (
    MODES,
    PROJECT,
    PROJECT_KINDS,
    SKILLS,
    STATES,
    STUDENT,
    TYPES,
)
from shared.clean import xml_text
from shared.errors import InvalidInput

MIN_TITLE = 5
MAX_TITLE = 150
MAX_DESCRIPTION = 3000
MAX_KEYWORDS = 10
MAX_KEYWORD = 40
MAX_SHORT = 100
MAX_PLACE = 80
MAX_MESSAGE = 1500
MIN_MESSAGE = 10


def plain(text: str) -> str:
    """``text`` without any markup (tags dropped, their words kept), lines kept."""
    cleaned = nh3.clean(xml_text(text), tags=set(), clean_content_tags={"script", "style"})
    cleaned = html.unescape(cleaned)  # plain text: the pages escape it when shown
    lines = [" ".join(line.split()) for line in cleaned.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


def _one(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return " ".join(xml_text(value).split()) if isinstance(value, str) else ""


def _many(data: Mapping[str, Any], key: str) -> list[str]:
    """Every value of ``key``: a form's repeated field, or a JSON list."""
    getall = getattr(data, "getall", None)
    raw = getall(key, []) if getall is not None else data.get(key)
    if isinstance(raw, str):
        raw = [raw]
    return [str(v).strip() for v in raw or () if isinstance(v, str) and v.strip()]


def _day(data: Mapping[str, Any], key: str, errors: dict[str, str]) -> str:
    text = _one(data, key)
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        errors[key] = "Indiquez une date au format AAAA-MM-JJ (exemple : 2027-01-15)."
        return ""


def keywords(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else str(raw or "").split(",")
    return list(dict.fromkeys(" ".join(xml_text(k).split()).lower() for k in items
                              if isinstance(k, str) and k.strip()))


def post_values(data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The fields of a post of type ``kind`` from a form or a JSON body (every field the
    person can write), or :class:`InvalidInput` with a French message per field."""
    errors: dict[str, str] = {}
    if kind not in TYPES:
        raise InvalidInput({"type": "Type inconnu : offre, besoin, etudiant ou "
                                    "projet_etudiant."})
    title = _one(data, "title")
    if not MIN_TITLE <= len(title) <= MAX_TITLE:
        errors["title"] = (f"Donnez un titre de {MIN_TITLE} à {MAX_TITLE} caractères.")
    raw_description = data.get("description")
    description = plain(raw_description) if isinstance(raw_description, str) else ""
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"La description dépasse {MAX_DESCRIPTION} caractères."
    skills = list(dict.fromkeys(_many(data, "skills")))
    if not skills:
        errors["skills"] = "Choisissez au moins une compétence."
    elif unknown := [s for s in skills if s not in SKILLS]:
        errors["skills"] = f"Compétence inconnue : {', '.join(unknown)}."
    raw_words = data.get("keywords")
    words = keywords(raw_words if isinstance(raw_words, list) else _one(data, "keywords"))
    if len(words) > MAX_KEYWORDS or any(len(w) > MAX_KEYWORD for w in words):
        errors["keywords"] = (f"Au plus {MAX_KEYWORDS} mots-clés de {MAX_KEYWORD} caractères, "
                              "séparés par des virgules.")
    modes = list(dict.fromkeys(_many(data, "modes")))
    if any(m not in MODES for m in modes):
        errors["modes"] = "Choisissez « à distance », « sur place » ou les deux."
    project_kinds = list(dict.fromkeys(_many(data, "project_kinds")))
    if any(p not in PROJECT_KINDS for p in project_kinds):
        errors["project_kinds"] = "Choisissez parmi stage, projet tutoré, bénévolat de " \
                                  "compétences."
    elif kind in (STUDENT, PROJECT) and not project_kinds:
        errors["project_kinds"] = "Choisissez au moins un type de projet."
    studies = _one(data, "studies")
    if len(studies) > MAX_SHORT:
        errors["studies"] = f"Au plus {MAX_SHORT} caractères."
    elif kind == STUDENT and not studies:
        errors["studies"] = "Dites ce que vous étudiez (exemple : BUT information-" \
                            "communication, 2ᵉ année)."
    starts, ends = _day(data, "starts", errors), _day(data, "ends", errors)
    if starts and ends and ends < starts:
        errors["ends"] = "La fin doit venir après le début."
    effort = _one(data, "effort")
    if len(effort) > MAX_SHORT:
        errors["effort"] = f"Au plus {MAX_SHORT} caractères."
    quartier, commune = _one(data, "quartier"), _one(data, "commune")
    for key, value in (("quartier", quartier), ("commune", commune)):
        if len(value) > MAX_PLACE:
            errors[key] = f"Au plus {MAX_PLACE} caractères."
    if errors:
        raise InvalidInput(errors)
    return {"title": title, "description": description, "skills": skills, "keywords": words,
            "modes": modes, "project_kinds": project_kinds, "studies": studies,
            "starts": starts, "ends": ends, "effort": effort, "quartier": quartier,
            "commune": commune}


def state_value(data: Mapping[str, Any]) -> str:
    state = _one(data, "state")
    if state not in STATES:
        raise InvalidInput({"state": "État inconnu : ouvert, en_cours ou clos."})
    return state


def message_values(data: Mapping[str, Any]) -> tuple[str, bool]:
    """The text of a message to a post's author and whether the sender shares their
    address (a ticked box, or JSON ``true``)."""
    raw = data.get("text")
    text = plain(raw) if isinstance(raw, str) else ""
    if not MIN_MESSAGE <= len(text) <= MAX_MESSAGE:
        raise InvalidInput({"text": f"Écrivez un message de {MIN_MESSAGE} à {MAX_MESSAGE} "
                                    "caractères."})
    share = data.get("share_address")
    return text, share is True or share in ("oui", "on", "true")
