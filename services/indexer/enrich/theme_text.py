"""How an event's text is read for themes: lexicon matches, age ranges, practical details.

:meth:`TextHits.of` reads the title and the first :data:`DESCRIPTION_CHARS` characters of
the plain description. The description is cut into sentences; a sentence of practical
information (:data:`INCIDENTAL`: the food stand, parking, what to bring, the drink that
follows, childcare, prices, access) is kept apart, because what it mentions (``buvette et
galettes``, ``venez à vélo``, ``garde d'enfants``) is not what the event is about. Its
matches are in :attr:`TextHits.incidental` and count for nothing.

Age ranges (:func:`age_themes`) are read in the title and the other sentences.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from shared.taxonomy import LEXICON, LexiconEntry
from shared.text import fold
from shared.theme_words import folded_stems, surface

DESCRIPTION_CHARS = 1500

_INDEX: dict[tuple[str, ...], list[LexiconEntry]] = defaultdict(list)
for _entry in LEXICON:
    _INDEX[_entry.key].append(_entry)
#: first stem -> the lengths of the terms that start with it, longest first
_SIZES = {
    first: tuple(sorted({len(k) for k in _INDEX if k[0] == first}, reverse=True))
    for first in {k[0] for k in _INDEX}
}

_SENTENCE = re.compile(r"[.!?;\n\u2013\u2014\u2022]+|\s-\s")
#: A sentence matching this (folded) gives practical details, not the event's subject.
INCIDENTAL = re.compile(
    r"\b(?:buvette|restauration|sur place|parking|stationnement|covoiturage|navettes?"
    r"|en (?:bus|metro|tram|car)\b|ligne [a-z]?\d|arret|acces (?:en|par|facile)"
    r"|a velo ou|venir a velo|venez a velo|arceaux|prevoi[rz]|chacun apporte"
    r"|apporte[rz] (?:votre|vos|son|sa|ses|un|une|de quoi) (?:pique|tapis|gourde|boisson"
    r"|plat|dessert|gobelet|tenue|chaussures|quoi)"
    r"|tire du sac|pensez a|n'oubliez pas|pot de l'amitie|verre de l'amitie|un pot|"
    r"aperitif|collation|buffet|garde d'enfants|garde des enfants"
    r"|enfants pourront etre gardes|garderie|tarifs?\b|quotient familial|benefices"
    r"|accessibles? (?:aux|en|a)|pmr|mobilite reduite|renseignements|billetterie"
    r"|autour d'une? (?:verre|biere|cafe|the))"
)
_RANGE = re.compile(
    r"\b(?:de |entre )?(\d{1,2}) ?(ans|mois)? ?(?:-|–|a|et) ?(\d{1,2}) ?ans\b(?! d')"
    r"(,? (?:et (?:leurs|leur|un|vos) parents?|accompagnes? (?:d'un|de leurs?|par un)))?"
)
_SENIOR = re.compile(r"\b(?:plus de|\+ de) ?([6-9]\d) ans\b|\b([6-9]\d) ans et (?:plus|\+)")
_U_CATEGORY = re.compile(r"\bu ?(7|8|9|1\d|2[01])\b")


def match_terms(stem_seq: Sequence[str]) -> list[LexiconEntry]:
    """Lexicon entries found in a stem sequence, greedy longest match, in text order."""
    found: list[LexiconEntry] = []
    i, n = 0, len(stem_seq)
    while i < n:
        for size in _SIZES.get(stem_seq[i], ()):
            entries = _INDEX.get(tuple(stem_seq[i : i + size])) if size <= n - i else None
            if entries:
                found.extend(entries)
                i += size
                break
        else:
            i += 1
    return found


def age_themes(folded: str) -> list[tuple[str, str]]:
    """(theme, phrase) for each age range an event is designed for, in a folded text.

    Under six, or with their parents: ``famille``; from six to 25: ``jeunesse``; from 60:
    ``seniors``; football-style age groups (``U13``): ``jeunesse``.
    """
    found: list[tuple[str, str]] = []
    if "ans" not in folded:  # no age at all (nor "dans"): only age groups (U13)
        return [("jeunesse", m.group(0).strip()) for m in _U_CATEGORY.finditer(folded)]
    for m in _RANGE.finditer(folded):
        low = 0 if m.group(2) == "mois" else int(m.group(1))
        high = int(m.group(3))
        if low >= high:
            continue
        if low < 6 or m.group(4):  # young children, or children with their parents
            found.append(("famille", m.group(0).strip()))
        elif high <= 25:
            found.append(("jeunesse", m.group(0).strip()))
    for m in _SENIOR.finditer(folded):
        found.append(("seniors", m.group(0).strip()))
    for m in _U_CATEGORY.finditer(folded):
        found.append(("jeunesse", m.group(0).strip()))
    return found


@dataclass(frozen=True, slots=True)
class TextHits:
    """Lexicon matches of an event's title and description (shared with keywords)."""

    title: tuple[LexiconEntry, ...]
    description: tuple[LexiconEntry, ...]
    #: matches in sentences of practical information, which count for nothing
    incidental: tuple[LexiconEntry, ...] = ()
    #: (theme, phrase) of the age ranges the event is designed for
    ages: tuple[tuple[str, str], ...] = ()
    #: every stem of the title and of the description outside practical sentences
    words: frozenset[str] = frozenset()

    @classmethod
    def of(cls, title: str, description_text: str) -> TextHits:
        folded_title = fold(surface(title))
        title_stems = folded_stems(folded_title)
        words = set(title_stems)
        subject: list[LexiconEntry] = []
        incidental: list[LexiconEntry] = []
        kept = [folded_title]
        for sentence in _SENTENCE.split(fold(surface(description_text[:DESCRIPTION_CHARS]))):
            sentence_stems = folded_stems(sentence)
            if not sentence_stems:
                continue
            if INCIDENTAL.search(sentence):
                incidental.extend(match_terms(sentence_stems))
                continue
            kept.append(sentence)
            words.update(sentence_stems)
            subject.extend(match_terms(sentence_stems))
        return cls(
            tuple(match_terms(title_stems)),
            tuple(subject),
            tuple(incidental),
            tuple(dict.fromkeys(age_themes(" . ".join(kept)))),
            frozenset(words),
        )
