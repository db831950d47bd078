"""Audience and free entry, inferred from what the text says.

:func:`infer_audience` keeps the source's audience codes (:data:`shared.vocab.AUDIENCES`)
and adds those the text states: ``jeune public``, ``pour les enfants``, ``dès 4 ans``
(age ranges: under 12 -> ``enfants``, 12-17 -> ``jeunes``), ``ados``, ``étudiants``,
``en famille``, ``seniors``, ``tout public``... Phrases that exclude a public
(``déconseillé aux enfants``, ``garde d'enfants``) are removed first.

:func:`infer_free` keeps a value the source gave. Otherwise ``True`` when the price or text
says ``gratuit``/``entrée libre``/``accès libre`` without a condition (``gratuit pour les
moins de 12 ans`` is a condition) and the price field has no non-zero amount; ``False`` when
a non-zero amount is given and free entry is not stated unconditionally; else ``None``
(``prix libre`` and ``participation libre`` stay unknown).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.text import fold
from shared.vocab import AUDIENCES, sort_codes

_EXCLUDE = re.compile(
    r"(?:deconseille|interdit|deconseillee|pas adapte|non adapte)e?s?\s+(?:aux?|pour les?)\s+"
    r"(?:moins de \d+ ans|enfants?|jeunes enfants)|garde d'enfants|droits? de l'enfant"
)
_PATTERNS: dict[str, re.Pattern[str]] = {
    "enfants": re.compile(
        r"\bjeune[s]? public\b|\b(?:pour|aux|des|avec) (?:les |vos |leurs )?(?:jeunes )?enfants\b"
        r"|\benfants? (?:de|des|a partir de|entre|accompagnes)\b|\batelier[s]? (?:pour )?enfants?\b"
        r"|\bspectacle (?:pour )?enfants?\b|\bbebes?\b|\btout-petits\b|\bpetite enfance\b"
    ),
    "jeunes": re.compile(
        r"\bados\b|\badolescent(?:e|s|es)?\b|\b(?:pour les|aux) jeunes\b|\bjeunes de \d|"
        r"\blyceen(?:ne)?s?\b|\bcollegien(?:ne)?s?\b|\b1[5-8] ?- ?(?:2[5-9]|30) ans\b"
    ),
    "etudiants": re.compile(r"\betudiant(?:e|s|es)?\b"),
    "familles": re.compile(
        r"\ben famille\b|\btoute la famille\b|\bfamilles\b|\bparents?[- ]enfants?\b"
        r"|\bfamilial(?:e|es)?\b"
    ),
    "adultes": re.compile(
        r"\b(?:pour|public|reserve aux) adultes?\b|\badultes uniquement\b|\b18 ans et plus\b"
        r"|\binterdit aux moins de 1[68] ans\b|\+ ?18 ans\b"
    ),
    "seniors": re.compile(
        r"\bseniors?\b|\bpersonnes agees\b|\bretraite(?:e|s|es)\b|\baine(?:e|s|es)\b"
        r"|\b(?:60|65) ans et plus\b|\bplus de (?:60|65) ans\b"
    ),
    "tout-public": re.compile(r"\btou[ts]-? ?publics?\b|\bouvert a tou(?:te)?s\b"),
}
_DIGIT = re.compile(r"\d")  # every age range holds one
_AGES = re.compile(
    r"\b(?:des|a partir de|de|entre)\s+(\d{1,2})\s*(?:ans|mois)?\s*(?:a|et|-)\s*(\d{1,2})\s*ans\b"
    r"|\b(\d{1,2})\s*-\s*(\d{1,2})\s*ans\b|\b(?:des|a partir de)\s+(\d{1,2})\s*ans\b"
)


def infer_audience(current: Iterable[str], text: str) -> tuple[str, ...]:
    found = {c for c in current if c in AUDIENCES}
    folded = _EXCLUDE.sub(" ", fold(text))
    for code, pattern in _PATTERNS.items():
        if pattern.search(folded):
            found.add(code)
    for m in _AGES.finditer(folded) if _DIGIT.search(folded) else ():
        low = next(int(g) for g in (m.group(1), m.group(3), m.group(5)) if g is not None)
        high = m.group(2) or m.group(4)
        if low < 12:
            found.add("enfants")
        elif low < 18:
            found.add("jeunes")
        if high is not None and 12 <= int(high) <= 17 and low < 18:
            found.add("jeunes")
    return sort_codes(found, AUDIENCES)


_FREE = re.compile(
    r"\bgratuit(?:e|s|es)?\b|\bentree (?:libre|gratuite)\b|\bacces (?:libre|gratuit)\b"
    r"|\bfree\b|\bsans frais\b"
)
_CONDITION_AFTER = re.compile(
    r"^\s*(?:\(|pour|pr\b|moins|-\s*\d|jusqu|aux?\b|enfants?|adherents?|etudiants?|sous\b"
    r"|les moins|avec\b|le premier|sauf|en dessous|chomeurs|demandeurs|accompagnat)"
)
_CONDITION_BEFORE = re.compile(
    r"(?:enfants?|moins de \d+ ans|-\s?\d+\s?ans|adherents?|etudiants?|demandeurs d'emploi"
    r"|accompagnat\w*|minimas? sociaux|reduit)\s*[:=]?\s*$"
)
_AMOUNT = re.compile(r"(\d+(?:[.,]\d{1,2})?)\s*(?:€|euros?\b|eur\b)|€\s*(\d+(?:[.,]\d{1,2})?)")


def _nonzero_amount(text: str) -> bool:
    for m in _AMOUNT.finditer(text):
        value = (m.group(1) or m.group(2)).replace(",", ".")
        if float(value) > 0:
            return True
    return False


def infer_free(current: bool | None, price: str | None, text: str) -> bool | None:
    if current is not None:
        return current
    price_f = fold(price or "")
    all_f = price_f + "\n" + fold(text)
    unconditional = conditional = False
    for m in _FREE.finditer(all_f):
        after = all_f[m.end() : m.end() + 30]
        before = all_f[max(0, m.start() - 30) : m.start()]
        if _CONDITION_AFTER.search(after) or _CONDITION_BEFORE.search(before):
            conditional = True
        else:
            unconditional = True
    if unconditional and not _nonzero_amount(price_f):
        return True
    if _nonzero_amount(all_f) or (conditional and not unconditional):
        return False if _nonzero_amount(all_f) else None
    return None
