"""Accessibility codes of an event, from every form a source may give them.

Inputs, merged into one set of :data:`shared.vocab.ACCESSIBILITY` codes:

* ``Event.accessibility`` as harvested: OpenAgenda codes (``hi``, ``vi``, ``pi``, ``mi``,
  ``ii``), codes of :mod:`shared.vocab`, or words (``"LSF"``, ``"Handicap moteur"``).
* ``Event.extra["accessibility"]``: an OpenAgenda object of booleans (``{"hi": true}``).
* ``Event.extra["accessibility_features"]``: schema.org values (``accessibilityFeature``,
  ``accessibilityControl``, ``amenityFeature`` names such as ``signLanguage``,
  ``audioDescription``, ``closedCaptions``, ``braille``, ``largePrint``,
  ``wheelchairAccessible``), as a list of strings, a string, or an object of booleans.
* The text (title and plain description), matched on folded words against the surface forms
  of ``accessibility_vocabulary.csv`` (``keywords_fr``) with three precision rules: a
  negation just before the phrase (``non accessible aux PMR``, ``pas de boucle magnétique``)
  cancels it; ``sous-titré`` and ``surtitrage`` count only when adapted (``sous-titrage
  codé``, ``sourds et malentendants``, ``surtitrage adapté``), because films and operas are
  commonly subtitled for language; ``à l'aveugle`` (blind tasting) is not about blindness.

A finer code adds its family (``lsf`` -> ``hi``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from shared.reference import AccessTerm
from shared.text import fold
from shared.vocab import ACCESSIBILITY, ACCESSIBILITY_FAMILY, sort_codes

SCHEMA_ORG: Mapping[str, str] = {
    "signlanguage": "lsf",
    "audiodescription": "audiodescription",
    "captions": "sous_titrage",
    "closedcaptions": "sous_titrage",
    "opencaptions": "sous_titrage",
    "braille": "braille_gros_caracteres",
    "largeprint": "braille_gros_caracteres",
    "tactilegraphic": "visite_tactile",
    "tactileobject": "visite_tactile",
    "wheelchairaccessible": "places_fauteuil",
    "wheelchairaccessibility": "places_fauteuil",
    "inductionloop": "boucle_magnetique",
    "hearingloop": "boucle_magnetique",
    "easytoread": "falc",
    "easyread": "falc",
}

# Extra surface forms (folded) beyond the reference vocabulary.
EXTRA_FORMS: Mapping[str, str] = {
    "handicap auditif": "hi",
    "handicap visuel": "vi",
    "handicap moteur": "mi",
    "sourds et malentendants": "hi",
    "personnes sourdes": "hi",
    "sous-titrage sme": "sous_titrage",
    "sous-titre sme": "sous_titrage",
    "sous-titre pour sourds": "sous_titrage",
    "sous-titrage pour sourds": "sous_titrage",
    "sous-titres pour sourds": "sous_titrage",
    "surtitrage adapte": "surtitrage",
    "boucle magnetique": "boucle_magnetique",
    "accessible aux personnes a mobilite reduite": "places_fauteuil",
    "accessible aux fauteuils": "places_fauteuil",
    "accessible en fauteuil roulant": "places_fauteuil",
    "facile a lire": "falc",
}
# Surface forms of the vocabulary that are too ambiguous alone (see module doc).
AMBIGUOUS = {"sous-titrage", "sous-titre", "surtitrage", "surtitre", "aveugle"}
_NEGATION = re.compile(
    r"(?:\b(?:non|pas)\s+(?:\w+\s+)?(?:accessibles?|adaptee?s?|equipee?s?|prevue?s?)\b[\w\s']{0,20}"
    r"|\bpas d[e']\s*(?:\w+\s+)?|\baucune?\s+|\binaccessibles?\b[\w\s']{0,20})$"
)
_BLIND_TASTING = re.compile(r"\ba l'aveugle\b")


class AccessibilityMatcher:
    """Built once from the reference vocabulary; :meth:`codes` is the entry point."""

    def __init__(self, terms: Iterable[AccessTerm]) -> None:
        forms: dict[str, str] = {}
        for term in terms:
            code = term.code if term.code in ACCESSIBILITY else term.openagenda_code
            if code not in ACCESSIBILITY:
                continue
            forms.setdefault(fold(term.code), code)
            forms.setdefault(fold(term.label_fr), code)
            for keyword in term.keywords:
                form = fold(keyword)
                if form not in AMBIGUOUS:
                    forms.setdefault(form, code)
        for form, code in EXTRA_FORMS.items():
            forms.setdefault(form, code)
        self.forms = forms
        alternatives = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(f) for f in alternatives) + r")(?![\w-])"
        )

    def from_text(self, text: str) -> set[str]:
        folded = fold(text)
        if not folded:
            return set()
        folded = _BLIND_TASTING.sub(" ", folded)
        found: set[str] = set()
        for match in self._pattern.finditer(folded):
            before = folded[max(0, match.start() - 40) : match.start()]
            if _NEGATION.search(before):
                continue
            found.add(self.forms[match.group(1)])
        return found

    def from_values(self, values: Iterable[Any]) -> set[str]:
        found: set[str] = set()
        for value in values:
            if not isinstance(value, str) or not value.strip():
                continue
            key = value.strip()
            if key in ACCESSIBILITY:
                found.add(key)
                continue
            compact = re.sub(r"[^a-z]", "", fold(key))
            if compact in SCHEMA_ORG:
                found.add(SCHEMA_ORG[compact])
                continue
            found |= self.from_text(key)
        return found

    def codes(self, current: Iterable[str], extra: Mapping[str, Any], text: str) -> tuple[str, ...]:
        found = self.from_values(current)
        for key in ("accessibility", "accessibility_features"):
            found |= self.from_values(_flatten(extra.get(key)))
        found |= self.from_text(text)
        found |= {ACCESSIBILITY_FAMILY[c] for c in found if c in ACCESSIBILITY_FAMILY}
        return sort_codes(found, ACCESSIBILITY)


def _flatten(value: Any) -> list[Any]:
    """Strings of a value that may be a string, a list, or an object of booleans."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p for p in re.split(r"[,;]", value)]
    if isinstance(value, Mapping):
        return [k for k, v in value.items() if v is True or v in ("true", "1", 1)]
    if isinstance(value, list | tuple | set):
        out: list[Any] = []
        for item in value:
            out.extend(_flatten(item) if not isinstance(item, str) else [item])
        return out
    return []
