"""Reading the official registers of associations into import rows.

:func:`rna_rows`
    The national register's bulk file (RNA "waldec", data.gouv.fr): semicolon-separated, in
    UTF-8 or Latin-1 (Windows-1252) — detected, not assumed. Only the associations whose head
    office is in a commune of Rennes Métropole (``adrs_codeinsee``) are kept. ``position``:
    ``A`` active, ``D`` dissolved (kept, marked dissolved), ``S`` deleted from the register
    (not imported: a record removed from the register is an error or a duplicate there; an
    association already in Maillage is never deleted by an import, people may have written
    to it — the summary counts these rows so that an operator can look).
:func:`city_rows`
    The city's organisations layer (Rennes Métropole open data, ``sites_organismes``):
    fields ``id_org, nom_usage, sigle, web, etat_organisme, description,
    code_nomenclature_principale``, as CSV (``;`` or ``,``) or JSON (a list of objects, the
    portal's ``{"results": [...]}``, or records with their ``fields``).

Each row is an :class:`ImportRow`: the record fields the file gives (empty when it has no
value), or the reason it is rejected or skipped; values that fail their check (a SIRET with
a wrong checksum) are dropped from an otherwise good row, with the reason.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.associations.identifiers import (
    or_empty,
    rna_number,
    rna_old_number,
    siret_number,
)
from services.associations.model import ACTIVE, DISSOLVED
from services.associations.validate import website_url
from shared.errors import MaillageError

#: The columns of the waldec file an import needs (the file has more, see the README).
RNA_REQUIRED = ("id", "titre", "adrs_codeinsee", "position")
CITY_REQUIRED = ("id_org", "nom_usage")
#: ``adrs_typevoie`` abbreviations, spelled out so that the geocoder finds the street.
STREET_TYPES = {
    "R": "rue", "RUE": "rue", "BD": "boulevard", "BLVD": "boulevard", "AV": "avenue",
    "AVE": "avenue", "PL": "place", "CRS": "cours", "ALL": "allée", "IMP": "impasse",
    "CHE": "chemin", "CHEM": "chemin", "RTE": "route", "SQ": "square", "QUA": "quai",
    "QU": "quai", "PAS": "passage", "RES": "résidence", "LD": "lieu-dit", "MAIL": "mail",
    "PROM": "promenade", "ESP": "esplanade", "HAM": "hameau", "VLA": "villa", "CITE": "cité",
    "FG": "faubourg", "SEN": "sentier", "VOIE": "voie", "PARC": "parc", "ZA": "ZA",
    "ZI": "ZI", "ZAC": "ZAC", "LOT": "lotissement", "CTRE": "centre", "RPT": "rond-point",
}
REPETITIONS = {"B": "bis", "T": "ter", "Q": "quater"}
MAX_ACRONYM = 20


class NotARegister(MaillageError):
    """The file is not in the expected layout (the message names what is missing)."""

    kind = "bad_input"


@dataclass(slots=True)
class ImportRow:
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    rejected: str = ""   # a reason: the row is not imported
    skipped: str = ""    # a reason: the row is out of scope (another commune, deleted)
    dropped: list[str] = field(default_factory=list)  # values left out, with the reason

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the association in its source: (claim kind, value)."""
        if self.fields.get("rna"):
            return "rna", str(self.fields["rna"])
        return "city", str(self.fields.get("city_id") or "")


def decode(data: bytes) -> tuple[str, str]:
    """The text of a register file and its encoding: UTF-8 (with or without BOM) when it
    decodes as such, else Windows-1252 (Latin-1 with the typographic apostrophe), else
    Latin-1 (which decodes any byte)."""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), "latin-1" if encoding == "cp1252" else (
                "utf-8" if encoding == "utf-8-sig" else encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _csv(text: str, required: tuple[str, ...], what: str) -> Iterator[dict[str, str]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    names = [n.strip().lower() for n in reader.fieldnames or ()]
    missing = [c for c in required if c not in names]
    if missing:
        raise NotARegister(f"not {what}: missing column(s) {', '.join(missing)} "
                           f"(found: {', '.join(names[:8]) or 'nothing'})")
    reader.fieldnames = names
    try:
        yield from reader
    except csv.Error as exc:
        raise NotARegister(f"{what}: unreadable CSV at line {reader.line_num}: {exc}") from exc


def _street(row: Mapping[str, str]) -> str:
    kind = _clean(row.get("adrs_typevoie")).upper()
    parts = [_clean(row.get("adrs_numvoie")),
             REPETITIONS.get(_clean(row.get("adrs_repetition")).upper(),
                             _clean(row.get("adrs_repetition")).lower()),
             STREET_TYPES.get(kind, kind.lower()), _clean(row.get("adrs_libvoie"))]
    return " ".join(p for p in parts if p)


def _date(raw: Any) -> str:
    """An ISO date from the register's ``YYYY-MM-DD`` (or ``DD/MM/YYYY``); ``""`` else."""
    text = _clean(raw)[:10]
    if len(text) == 10 and text[4] == "-" and text[:4].isdigit():
        return text if text != "0001-01-01" else ""
    if len(text) == 10 and text[2] == "/" and text[6:].isdigit():
        return f"{text[6:]}-{text[3:5]}-{text[:2]}"
    return ""


def _theme_codes(raw: Iterable[Any], known: frozenset[str]) -> list[str]:
    codes = []
    for value in raw:
        text = _clean(value)
        if text.isdigit() and len(text) <= 6:
            code = text.zfill(6)
            if code != "000000" and (not known or code in known or code[:3] + "000" in known):
                codes.append(code)
    return list(dict.fromkeys(codes))


def _website(raw: Any, dropped: list[str]) -> str:
    text = _clean(raw)
    if not text:
        return ""
    value, error = or_empty(website_url, text)
    if error:
        dropped.append(f"website: {text[:60]}")
    return value


def rna_row(line: int, row: Mapping[str, str], communes: Mapping[str, str],
            themes: frozenset[str] = frozenset()) -> ImportRow:
    """One line of the waldec file (``communes``: INSEE code → name of the communes kept)."""
    out = ImportRow(line)
    insee = _clean(row.get("adrs_codeinsee")).zfill(5) if row.get("adrs_codeinsee") else ""
    if insee not in communes:
        out.skipped = "head office outside Rennes Métropole"
        return out
    position = _clean(row.get("position")).upper()
    if position == "S":
        out.skipped = "deleted from the register (position S)"
        return out
    rna, error = or_empty(rna_number, _clean(row.get("id")))
    name = _clean(row.get("titre"))
    if not rna:
        out.rejected = f"RNA number {_clean(row.get('id'))!r}: {error or 'missing'}"
        return out
    if not name:
        out.rejected = f"{rna}: no name (titre)"
        return out
    if position not in ("A", "D", ""):
        out.rejected = f"{rna}: unknown position {position!r} (A, D or S)"
        return out
    dropped = out.dropped
    checked = {}
    for key, check, column in (("rna_old", rna_old_number, "id_ex"),
                               ("siret", siret_number, "siret")):
        checked[key], error = or_empty(check, _clean(row.get(column)))
        if error:
            dropped.append(f"{key}: {_clean(row.get(column))}")
    short = _clean(row.get("titre_court"))
    acronym = short if short and short != name and len(short) <= MAX_ACRONYM else ""
    aliases = [short] if short and short != name and not acronym else []
    out.fields = {
        "name": name, "acronym": acronym, "aliases": aliases, "rna": rna,
        "rna_old": checked["rna_old"], "siret": checked["siret"],
        "siren": checked["siret"][:9] if checked["siret"] else "",
        "purpose": _clean(row.get("objet")),
        "rna_themes": _theme_codes((row.get("objet_social1"), row.get("objet_social2")), themes),
        "address": {k: v for k, v in (
            ("street", _street(row)), ("complement", _clean(row.get("adrs_complement"))),
            ("postcode", _clean(row.get("adrs_codepostal"))),
            ("city", _clean(row.get("adrs_libcommune")) or communes[insee]),
            ("insee", insee)) if v},
        "website": _website(row.get("siteweb"), dropped),
        "founded": _date(row.get("date_creat")),
        "dissolved_on": _date(row.get("date_disso")) if position == "D" else "",
        "state": DISSOLVED if position == "D" else ACTIVE,
    }
    return out


def rna_rows(data: bytes, communes: Mapping[str, str],
             themes: frozenset[str] = frozenset()) -> tuple[list[ImportRow], str]:
    """Every line of a waldec file, and the encoding it was read in."""
    text, encoding = decode(data)
    rows = [rna_row(n, row, communes, themes)
            for n, row in enumerate(_csv(text, RNA_REQUIRED, "an RNA waldec file"), start=2)]
    return rows, encoding


#: ``etat_organisme`` values that mean the organisation no longer exists.
CLOSED_STATES = ("dissou", "inactif", "ferm", "cess", "radi")


def city_row(line: int, row: Mapping[str, Any]) -> ImportRow:
    out = ImportRow(line)
    city_id, name = _clean(row.get("id_org")), _clean(row.get("nom_usage"))
    if not city_id:
        out.rejected = "no id_org"
        return out
    if not name:
        out.rejected = f"{city_id}: no name (nom_usage)"
        return out
    state = _clean(row.get("etat_organisme")).lower()
    acronym = _clean(row.get("sigle"))
    out.fields = {
        "city_id": city_id, "name": name,
        "acronym": acronym if len(acronym) <= MAX_ACRONYM else "",
        "aliases": [acronym] if len(acronym) > MAX_ACRONYM else [],
        "website": _website(row.get("web"), out.dropped),
        "purpose": _clean(row.get("description")),
        "city_category": _clean(row.get("code_nomenclature_principale")),
        "state": DISSOLVED if any(w in state for w in CLOSED_STATES) else ACTIVE,
    }
    return out


def _json_objects(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NotARegister(f"not JSON: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("results", data.get("records"))
    if not isinstance(data, list):
        raise NotARegister("the city's organisations as JSON: a list of objects, or "
                           "{\"results\": [...]}")
    objects = []
    for item in data:
        if isinstance(item, dict) and isinstance(item.get("fields"), dict):
            item = item["fields"]  # the portal's records export
        objects.append({str(k).lower(): v for k, v in item.items()}
                       if isinstance(item, dict) else {})
    if objects and not any("id_org" in o for o in objects):
        raise NotARegister("not the city's organisations layer: no id_org field")
    return objects


def city_rows(data: bytes) -> tuple[list[ImportRow], str]:
    """Every organisation of the city's layer (CSV or JSON), and the encoding read."""
    text, encoding = decode(data)
    if text.lstrip()[:1] in ("[", "{"):
        objects: Iterable[Mapping[str, Any]] = _json_objects(text)
        start = 1
    else:
        objects = _csv(text, CITY_REQUIRED, "the city's organisations layer")
        start = 2
    return [city_row(n, row) for n, row in enumerate(objects, start=start)], encoding
