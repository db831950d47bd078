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

import codecs
import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.associations.identifiers import (
    or_empty,
    rna_number,
    rna_old_number,
    siret_number,
)
from services.associations.model import ACTIVE, DISSOLVED
from services.associations.validate import MAX_NAME, website_url
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
#: A purpose longer than this is cut (at a word), with a reason in the summary.
MAX_PURPOSE = 2000
#: A line with a longer field is rejected (the register's longest purposes are ~1,000
#: characters); the CSV reader itself accepts up to :data:`MAX_READ`, so that such a line
#: is rejected alone, at its own number, instead of stopping the import.
MAX_FIELD = 10_000
MAX_READ = 16 * 1024 * 1024
#: Characters never kept from a register: controls and invisible formatting (bidi
#: overrides such as U+202E, zero-width characters), which would show raw on pages.
_INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn"))


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
    Latin-1 (which decodes any byte). A UTF-8 file with a few lines in another encoding (a
    stray Latin-1 ``É``) stays UTF-8: only the bytes that are not UTF-8 are read as
    Latin-1, and the encoding names their lines (``utf-8, line(s) 4, 9 read as latin-1``). A ZIP
    archive or a UTF-16 file is refused, saying what to do."""
    if data.startswith(b"PK\x03\x04"):
        raise NotARegister("this looks like a ZIP archive: extract the "
                           "rna_waldec_*_dpt_35.csv file (or the CSV inside) and import that")
    head = data[:2000]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(0) > len(head) // 4:
        raise NotARegister("this file is in UTF-16: save it as UTF-8 (or Latin-1) and "
                           "import it again")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    utf8, other = False, []
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            other.append(number)
    if not utf8:  # nothing says UTF-8: a Latin-1 file
        return _single_byte(data), "latin-1"
    # only the bytes that are not UTF-8 are read as cp1252
    text = data.decode("utf-8", STRAY_BYTES).removeprefix("\ufeff")
    shown = ", ".join(map(str, other[:10])) + (", ..." if len(other) > 10 else "")
    return text, f"utf-8, line(s) {shown} read as latin-1"


def _stray_bytes(exc: UnicodeError) -> tuple[str, int]:
    """The codec error handler :data:`STRAY_BYTES`: bytes that are not UTF-8, read as
    Windows-1252 (Latin-1 where it has no character)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return _single_byte(exc.object[exc.start:exc.end]), exc.end


STRAY_BYTES = "maillage-stray-bytes"
codecs.register_error(STRAY_BYTES, _stray_bytes)


def _single_byte(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _clean(value: Any) -> str:
    """One line of text: blanks collapsed, controls and invisible characters removed."""
    if value in (None, ""):
        return ""
    text = " ".join(str(value).split())
    if text.isprintable():
        return text
    return " ".join("".join(c for c in text
                            if unicodedata.category(c) not in _INVISIBLE).split())


class _Malformed(dict[str, str]):
    """A line of the CSV that is not a row of the layout (the reason says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def _csv(text: str, required: tuple[str, ...],
         what: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row of a CSV file with its line number (where the row starts); a line with
    another number of fields than the header, or an oversized field, is a
    :class:`_Malformed` row, not a reason to stop."""
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count)  # the first of the most frequent
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_READ)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader, [])
        except csv.Error as exc:
            raise NotARegister(f"not {what}: unreadable header ({exc})") from exc
        names = [n.strip().lower() for n in header]
        missing = [c for c in required if c not in names]
        if missing:
            raise NotARegister(f"not {what}: missing column(s) {', '.join(missing)} "
                               f"(found: {', '.join(names[:8]) or 'nothing'})")
        end = reader.line_num
        while True:
            start = end + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise NotARegister(f"{what}: unreadable CSV at line {reader.line_num}: "
                                   f"{exc}") from exc
            end = reader.line_num
            if not values or values == [""]:
                continue
            longest = max(map(len, values))
            if len(values) != len(names):
                yield start, _Malformed(f"{len(values)} fields, {len(names)} expected "
                                        "(an unquoted separator, or a cut line?)")
            elif longest > MAX_FIELD:
                yield start, _Malformed(f"a field of {longest} characters (at most "
                                        f"{MAX_FIELD})")
            else:
                yield start, dict(zip(names, values, strict=True))
    finally:
        csv.field_size_limit(limit)


def _street(row: Mapping[str, str]) -> str:
    kind = _clean(row.get("adrs_typevoie")).upper()
    parts = [_clean(row.get("adrs_numvoie")),
             REPETITIONS.get(_clean(row.get("adrs_repetition")).upper(),
                             _clean(row.get("adrs_repetition")).lower()),
             STREET_TYPES.get(kind, kind.lower()), _clean(row.get("adrs_libvoie"))]
    return " ".join(p for p in parts if p)


def _date(raw: Any, what: str = "", dropped: list[str] | None = None) -> str:
    """An ISO date from the register's ``YYYY-MM-DD`` (or ``DD/MM/YYYY``); ``""`` else. A
    date that does not exist (``2020-13-45``) or is still to come is left out, with the
    reason in ``dropped``."""
    text = _clean(raw)[:10]
    if len(text) == 10 and text[4] == "-" and text[:4].isdigit():
        iso = text if text != "0001-01-01" else ""
    elif len(text) == 10 and text[2] == "/" and text[6:].isdigit():
        iso = f"{text[6:]}-{text[3:5]}-{text[:2]}"
    else:
        iso = ""
    if not iso:
        return ""
    try:
        valid = date.fromisoformat(iso) <= date.today()
    except ValueError:
        valid = False
    if not valid:
        if dropped is not None:
            dropped.append(f"{what}: {text} is not a possible date")
        return ""
    return iso


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
        dropped.append(f"website: {text[:60]!r} is not an http(s) address")
    return value


def _purpose(raw: Any, dropped: list[str]) -> str:
    text = _clean(raw)
    if len(text) <= MAX_PURPOSE:
        return text
    cut = text[:MAX_PURPOSE - 2].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"
    dropped.append(f"purpose: cut from {len(text)} to {MAX_PURPOSE} characters")
    return cut


def rna_row(line: int, row: Mapping[str, str], communes: Mapping[str, str],
            themes: frozenset[str] = frozenset()) -> ImportRow:
    """One line of the waldec file (``communes``: INSEE code → name of the communes kept)."""
    out = ImportRow(line)
    if isinstance(row, _Malformed):
        out.rejected = row.reason
        return out
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
        out.rejected = (f"RNA number {_clean(row.get('id'))[:40]!r}: "
                        + ("not W followed by 9 digits" if error else "missing"))
        return out
    if not name:
        out.rejected = f"{rna}: no name (titre)"
        return out
    if len(name) > MAX_NAME:
        out.rejected = f"{rna}: a name of {len(name)} characters (at most {MAX_NAME})"
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
            dropped.append(f"{key}: {_clean(row.get(column))[:40]}")
    short = _clean(row.get("titre_court"))
    acronym = short if short and short != name and len(short) <= MAX_ACRONYM else ""
    aliases = [short] if short and short != name and not acronym else []
    out.fields = {
        "name": name, "acronym": acronym, "aliases": aliases, "rna": rna,
        "rna_old": checked["rna_old"], "siret": checked["siret"],
        "siren": checked["siret"][:9] if checked["siret"] else "",
        "purpose": _purpose(row.get("objet"), dropped),
        "rna_themes": _theme_codes((row.get("objet_social1"), row.get("objet_social2")), themes),
        "address": {k: v for k, v in (
            ("street", _street(row)), ("complement", _clean(row.get("adrs_complement"))),
            ("postcode", _clean(row.get("adrs_codepostal"))),
            ("city", _clean(row.get("adrs_libcommune")) or communes[insee]),
            ("insee", insee)) if v},
        "website": _website(row.get("siteweb"), dropped),
        "founded": _date(row.get("date_creat"), "founded", dropped),
        "dissolved_on": (_date(row.get("date_disso"), "dissolved", dropped)
                         if position == "D" else ""),
        "state": DISSOLVED if position == "D" else ACTIVE,
    }
    return out


def rna_rows(data: bytes, communes: Mapping[str, str],
             themes: frozenset[str] = frozenset()) -> tuple[list[ImportRow], str]:
    """Every line of a waldec file, and the encoding it was read in."""
    text, encoding = decode(data)
    rows = [rna_row(n, row, communes, themes)
            for n, row in _csv(text, RNA_REQUIRED, "the RNA register's bulk file (waldec)")]
    return rows, encoding


#: ``etat_organisme`` values that mean the organisation no longer exists.
CLOSED_STATES = ("dissou", "inactif", "ferm", "cess", "radi")


def city_row(line: int, row: Mapping[str, Any]) -> ImportRow:
    out = ImportRow(line)
    if isinstance(row, _Malformed):
        out.rejected = row.reason
        return out
    city_id, name = _clean(row.get("id_org")), _clean(row.get("nom_usage"))
    if not city_id:
        out.rejected = "no id_org"
        return out
    if not name:
        out.rejected = f"{city_id}: no name (nom_usage)"
        return out
    if len(name) > MAX_NAME:
        out.rejected = f"{city_id}: a name of {len(name)} characters (at most {MAX_NAME})"
        return out
    state = _clean(row.get("etat_organisme")).lower()
    acronym = _clean(row.get("sigle"))
    out.fields = {
        "city_id": city_id, "name": name,
        "acronym": acronym if len(acronym) <= MAX_ACRONYM else "",
        "aliases": [acronym] if len(acronym) > MAX_ACRONYM else [],
        "website": _website(row.get("web"), out.dropped),
        "purpose": _purpose(row.get("description"), out.dropped),
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
        numbered: Iterable[tuple[int, Mapping[str, Any]]] = enumerate(_json_objects(text),
                                                                      start=1)
    else:
        numbered = _csv(text, CITY_REQUIRED, "the city's organisations layer")
    return [city_row(n, row) for n, row in numbered], encoding
