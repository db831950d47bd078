"""Normalized keys for place names, street names and communes (used by the geocoder).

Every key is folded (:func:`shared.text.fold`), split into words, with articles and
prepositions dropped, so ``"Salle de la Cité"`` is ``"salle cite"`` and ``"Rue St-Hélier"``
equals ``"Rue Saint-Hélier"``. Street keys also expand the usual abbreviations of French
addresses (``bd``, ``av``, ``r.``, ``pl.``, ``St``, ``Gal``...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.text import fold

_WORD = re.compile(r"[a-z0-9]+")
ARTICLES = frozenset("le la les l de du des d a au aux et en sur".split())

STREET_TYPES = frozenset(
    """rue boulevard avenue place allee impasse square quai cours chemin route esplanade
    faubourg passage promenade mail contour venelle sentier parvis dalle carrefour residence
    voie ruelle rampe rond-point rond pont port villa hameau clos cite galerie parc square
    jardin""".split()
)
# Abbreviations of the street type (first word only).
TYPE_ABBREV = {
    "r": "rue", "bd": "boulevard", "bld": "boulevard", "blvd": "boulevard", "boul": "boulevard",
    "av": "avenue", "ave": "avenue", "avn": "avenue", "pl": "place", "all": "allee",
    "imp": "impasse", "sq": "square", "qu": "quai", "crs": "cours", "ch": "chemin",
    "chem": "chemin", "che": "chemin", "rte": "route", "esp": "esplanade", "espl": "esplanade",
    "fg": "faubourg", "fbg": "faubourg", "pas": "passage", "psg": "passage", "prom": "promenade",
    "res": "residence", "rpt": "rond",
}  # fmt: skip
# Abbreviations anywhere in a street name.
WORD_ABBREV = {
    "st": "saint", "ste": "sainte", "gal": "general", "gl": "general", "gen": "general",
    "gle": "general", "mal": "marechal", "pdt": "president", "pres": "president",
    "dr": "docteur", "pr": "professeur", "prof": "professeur", "cdt": "commandant",
    "lt": "lieutenant", "cne": "capitaine", "mgr": "monseigneur", "ct": "commandant",
}  # fmt: skip

_POSTCODE = re.compile(r"\b(\d{5})\b")
_NUMBER = re.compile(r"^\s*(\d+)\s*(?:bis|ter|quater|[a-d])?\b[\s,]*")


def words(s: str) -> list[str]:
    return _WORD.findall(fold(s).replace("'", " "))


# Single words too common to identify a venue when found inside a longer name.
GENERIC_WORDS = frozenset(
    """theatre opera gare orangerie etage liberte cite halles eglise mairie musee
    bibliotheque mediatheque salle espace centre maison parc place jardin""".split()
)


def venue_key(name: str) -> str:
    """Key of a venue name: folded words without articles (``"l ubu"`` -> ``"ubu"``).

    A trailing ``rennes`` is dropped unless what remains is a generic word
    (``"Théâtre de Rennes"`` stays ``"theatre rennes"``).
    """
    ws = [w for w in words(name) if w not in ARTICLES]
    if len(ws) > 1 and ws[-1] == "rennes" and not (len(ws) == 2 and ws[0] in GENERIC_WORDS):
        ws.pop()
    return " ".join(ws)


def street_words(name: str) -> list[str]:
    ws = words(name)
    if ws and ws[0] in TYPE_ABBREV:
        ws[0] = TYPE_ABBREV[ws[0]]
    return [WORD_ABBREV.get(w, w) for w in ws if w not in ARTICLES]


def street_key(name: str) -> str:
    """Key of a street name: ``"Bd de la Liberté"`` -> ``"boulevard liberte"``."""
    return " ".join(street_words(name))


def street_name_part(key: str) -> str:
    """A street key without its type word (``"boulevard liberte"`` -> ``"liberte"``)."""
    first, _, rest = key.partition(" ")
    return rest if first in STREET_TYPES and rest else key


def commune_keys(name: str) -> list[str]:
    """Keys of a commune name: full, and without a leading article (``"rheu"``)."""
    ws = [WORD_ABBREV.get(w, w) for w in words(name) if w != "cedex" and not w.isdigit()]
    full = " ".join(ws)
    keys = [full] if full else []
    if len(ws) > 1 and ws[0] in ("le", "la", "les", "l"):
        keys.append(" ".join(ws[1:]))
    return keys


@dataclass(frozen=True, slots=True)
class AddressParts:
    number: str | None
    street: str | None  # a street key, or None
    postcode: str | None


def parse_address(raw: str) -> AddressParts:
    """Number, street key and postcode of a free-form French address line."""
    text = raw.replace("\n", ",")
    postcode = None
    m = _POSTCODE.search(text)
    if m:
        postcode = m.group(1)
        text = text[: m.start()]
    for part in re.split(r",|\s[-–—]\s", text):  # "Salle X - 6 cours des Alliés"
        num_match = _NUMBER.match(part)
        number = num_match.group(1) if num_match else None
        rest = part[num_match.end() :] if num_match else part
        ws = words(rest)
        for i, w in enumerate(ws):
            if i + 1 < len(ws) and (
                w in STREET_TYPES or (w in TYPE_ABBREV and (i == 0 or len(w) > 2))
            ):
                if i and number is None and ws[i - 1].isdigit():  # "Maison X 6 cours des Alliés"
                    number = ws[i - 1]
                return AddressParts(number, street_key(" ".join(ws[i:])), postcode)
    return AddressParts(None, None, postcode)
