"""Checks of a declared link (the form and the JSON API alike), with French messages
(:class:`shared.errors.InvalidInput`: field → message, every error at once)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.network.model import KINDS, MAX_NOTE
from shared.clean import xml_text
from shared.errors import InvalidInput

SINCE = re.compile(r"(\d{4})(?:-(\d{2}))?")
FIRST_YEAR = 1850
#: The form's "which association" field: an id of the directory.
AID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


@dataclass(frozen=True, slots=True)
class Declaration:
    source: str
    target: str
    kind: str
    note: str
    since: str


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""


def since_value(raw: str, today: date | None = None) -> str:
    """``YYYY`` or ``YYYY-MM``, not in the future; empty is fine (not known)."""
    if not raw:
        return ""
    today = today or date.today()
    match = SINCE.fullmatch(raw)
    if match is None:
        raise InvalidInput({"since": "Indiquez une année (2019) ou un mois (2019-09)."})
    year, month = int(match.group(1)), match.group(2)
    if month is not None and not 1 <= int(month) <= 12:
        raise InvalidInput({"since": "Le mois doit être entre 01 et 12."})
    if year < FIRST_YEAR or (year, int(month or 1)) > (today.year, today.month):
        raise InvalidInput({"since": f"L’année doit être entre {FIRST_YEAR} et aujourd’hui."})
    return raw


def declaration(data: Mapping[str, Any], *, today: date | None = None) -> Declaration:
    """The fields of a declaration: ``source`` (the association declaring), ``target``,
    ``kind``, ``note``, ``since``."""
    errors: dict[str, str] = {}
    source, target, kind = _text(data, "source"), _text(data, "target"), _text(data, "kind")
    raw_note = data.get("note")
    # no control character nor lone surrogate: the note is shown in pages, GeoJSON and CSV
    note = xml_text(raw_note).strip() if isinstance(raw_note, str) else ""
    if not AID.fullmatch(source):
        errors["source"] = "Choisissez l’association au nom de laquelle vous déclarez ce lien."
    if not AID.fullmatch(target):
        errors["target"] = "Choisissez l’association avec laquelle vous êtes liés."
    elif target == source:
        errors["target"] = "Une association ne peut pas déclarer un lien avec elle-même."
    if kind not in KINDS:
        errors["kind"] = "Choisissez un type de lien dans la liste."
    if len(note) > MAX_NOTE:
        errors["note"] = f"La note doit faire au plus {MAX_NOTE} caractères."
    try:
        since = since_value(_text(data, "since"), today)
    except InvalidInput as exc:
        errors.update(exc.errors)
        since = ""
    if errors:
        raise InvalidInput(errors)
    return Declaration(source, target, kind, note, since)
