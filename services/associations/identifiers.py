"""Official identifiers of an association, checked: the RNA number (``W`` and 9 digits, and
the older numbering of the prefectures), SIREN (9 digits) and SIRET (14 digits) with their
Luhn checksum.

Each check returns the normalized value (spaces and dots removed, upper case) or raises
:class:`~shared.errors.InvalidInput` with a French message for the field; an empty value is
allowed (unknown). ``*_or_empty`` variants return ``""`` instead of raising, for imports
that keep a row and drop one bad value.
"""

from __future__ import annotations

import re

from shared.errors import InvalidInput

RNA = re.compile(r"W\d{9}")
#: The prefectures' numbering before the RNA (``id_ex`` of the waldec file): digits and the
#: letters of the prefecture's series, such as ``0353012345`` or ``353S0012345``.
RNA_OLD = re.compile(r"[0-9][0-9A-Z]{4,13}")
#: La Poste's establishments do not follow Luhn: their digits add up to a multiple of 5.
LA_POSTE_SIREN = "356000000"
_SEPARATORS = re.compile(r"[\s.\-]")


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", raw or "").upper()


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits (SIREN, SIRET)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def rna_number(raw: str, field: str = "rna") -> str:
    text = _compact(raw)
    if text and not RNA.fullmatch(text):
        raise InvalidInput({field: "Le numéro RNA s’écrit W suivi de 9 chiffres "
                                   "(exemple : W353012345)."})
    return text


def rna_old_number(raw: str, field: str = "rna_old") -> str:
    text = _compact(raw)
    if text and not RNA_OLD.fullmatch(text):
        raise InvalidInput({field: "L’ancien numéro de déclaration en préfecture n’est pas "
                                   "valide (exemple : 0353012345)."})
    return text


def siren_number(raw: str, field: str = "siren") -> str:
    text = _compact(raw)
    if text and not (len(text) == 9 and text.isdigit() and luhn_ok(text)):
        raise InvalidInput({field: "Le numéro SIREN compte 9 chiffres, dont le dernier est "
                                   "une clé de contrôle : vérifiez-le."})
    return text


def siret_number(raw: str, field: str = "siret") -> str:
    text = _compact(raw)
    if not text:
        return text
    valid = len(text) == 14 and text.isdigit() and (
        luhn_ok(text) or (text.startswith(LA_POSTE_SIREN)
                          and sum(int(c) for c in text) % 5 == 0))
    if not valid or not (luhn_ok(text[:9]) or text.startswith(LA_POSTE_SIREN)):
        raise InvalidInput({field: "Le numéro SIRET compte 14 chiffres (le SIREN puis 5 "
                                   "chiffres) avec une clé de contrôle : vérifiez-le."})
    return text


def or_empty(check: object, raw: str) -> tuple[str, str | None]:
    """``check(raw)`` and no error, or ``""`` and the error's message (for imports)."""
    assert callable(check)
    try:
        return str(check(raw)), None
    except InvalidInput as exc:
        return "", next(iter(exc.errors.values()), "invalid")
