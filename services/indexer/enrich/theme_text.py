"""How an event's text is read for themes: lexicon matches, age ranges, practical details.

:meth:`TextHits.of` reads the title and the first :data:`DESCRIPTION_CHARS` characters of
the plain description. The description is cut into sentences; a sentence of practical
information (:data:`INCIDENTAL`: the food stand, parking, what to bring, the drink that
follows, childcare, prices, access) is kept apart, because what it mentions (``buvette et
galettes``, ``venez à vélo``, ``garde d'enfants``) is not what the event is about. Its
matches are in :attr:`TextHits.incidental` and count for nothing.

Before that, the text loses what is not about the subject (:mod:`.theme_context`): the
places and venues it names, audience words that are part of a name, and the quoted titles
of works (read as weak evidence). Age ranges and stated publics (:func:`age_themes`) are
read in the title and the other sentences; a title's form (a sports fixture) is read by
:func:`.theme_context.format_themes`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from shared.taxonomy import CONTEXT, LEXICON, WEAK, LexiconEntry
from shared.text import fold
from shared.theme_words import folded_stems, surface

from .theme_context import format_themes, mask_names, mask_places, split_work_titles

DESCRIPTION_CHARS = 1500

_INDEX: dict[tuple[str, ...], list[LexiconEntry]] = defaultdict(list)
for _entry in LEXICON:
    _INDEX[_entry.key].append(_entry)
#: first stem -> the lengths of the terms that start with it, longest first
_SIZES = {
    first: tuple(sorted({len(k) for k in _INDEX if k[0] == first}, reverse=True))
    for first in {k[0] for k in _INDEX}
}

#: Sentence ends; a dash between two numbers (``8 – 15 ans``) is a range, not a break.
_SENTENCE = re.compile(r"[.!?;\n\u2022]+|(?<!\d)\s*[\u2013\u2014]\s*(?!\s*\d)|(?<!\d)\s-\s(?!\d)")
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
    r"|autour d'une? (?:verre|biere|cafe|the)"
    r"|\blieu ?:|\badresse ?:|^\s*ou ?:|\brdv\b|^\s*rendez-vous (?:a|au|devant|sur|dans|place)\b"
    r"|(?:tradui|interprete|signe|adapte)\w* en (?:lsf|langue des signes))"
)
_RANGE = re.compile(
    r"\b(?:de |entre )?(\d{1,2}) ?(ans|mois)? ?(?:-|–|a|et) ?(\d{1,2}) ?ans\b(?! d')"
    r"(,? (?:et (?:leurs|leur|un|vos) parents?|accompagnes? (?:d'un|de leurs?|par un)))?"
)
_SENIOR = re.compile(r"\b(?:plus de|\+ de) ?([6-9]\d) ans\b|\b([6-9]\d) ans et (?:plus|\+)")
_U_CATEGORY = re.compile(r"\bu ?(7|8|9|1\d|2[01])\b")
#: A public the event is designed for, stated in words (folded text): ``pour les seniors``
#: anywhere; ``pour les enfants`` only in a title or after ``réservé``/``destiné`` (in a
#: description, ``jeux pour les enfants`` is one part of the programme).
_FOR = r"\b(?:pour (?:les |nos |des )?|(?:reserve|destine|dedie)(?:e|s|es)? (?:aux|a nos|a des) )"
_FOR_ONLY = r"\b(?:(?:reserve|destine|dedie)(?:e|s|es)? (?:aux|a nos|a des) |a destination des )"
_YOUNG = (
    r"(?:(?P<families>familles|bebes|toutpetits)|(?P<young>ados|adolescent(?:e)?s|jeunes)"
    r"|(?P<children>enfants))\b"
)
_PUBLIC = re.compile(
    r"(?:" + _FOR + r"|a destination des |special(?:e|es)? )"
    r"(?P<seniors>seniors?|personnes agees|aine(?:e)?s|retraitepersonne)\b|" + _FOR_ONLY + _YOUNG
)
_PUBLIC_IN_TITLE = re.compile(
    _FOR + _YOUNG + r"(?! (?:et (?:leurs|leur|un|vos) parents?|accompagnes?|de \d))"
)
#: Words without which a public pattern cannot match (most texts have none: the pattern,
#: slow to try at every position, is then not run).
_PUBLIC_HINTS = ("pour ", "reserve", "destine", "dedie", "destination des ", "special")
_DIGIT = re.compile(r"\d")


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
    """(theme, phrase) for each age range or public an event is designed for, in a folded text.

    The rule (see :mod:`shared.taxonomy`): ``jeunesse`` is for children and young people,
    ``famille`` for babies and for children with their parents. So an age range up to three
    years gives ``famille``; a range of children (up to 25) gives ``jeunesse``, and also
    ``famille`` when it starts under six (young children come with a parent); a range with
    their parents gives ``famille``; a range that runs into adulthood (``3-99 ans``) says
    nothing. From 60: ``seniors``. Football-style age groups (``U13``): ``jeunesse``. A
    public stated in words (``pour les seniors``, ``réservé aux enfants``, ``destiné aux
    familles``) gives its theme.
    """
    found = _publics(_PUBLIC, folded)
    if not _DIGIT.search(folded):  # every range, age and age group holds a number
        return found
    if "ans" not in folded:  # no age at all (nor "dans"): only age groups (U13)
        return found + [("jeunesse", m.group(0).strip()) for m in _U_CATEGORY.finditer(folded)]
    for m in _RANGE.finditer(folded):
        low = 0 if m.group(2) == "mois" else int(m.group(1))
        high = int(m.group(3))
        if low >= high or high > 25:
            continue
        phrase = m.group(0).strip()
        if m.group(4) or high <= 3 or low == 0:  # with their parents, or from babies on
            found.append(("famille", phrase))
            continue
        found.append(("jeunesse", phrase))
        if low < 6:  # young children come with a parent
            found.append(("famille", phrase))
    for m in _SENIOR.finditer(folded):
        found.append(("seniors", m.group(0).strip()))
    for m in _U_CATEGORY.finditer(folded):
        found.append(("jeunesse", m.group(0).strip()))
    return found


def _publics(pattern: re.Pattern[str], folded: str) -> list[tuple[str, str]]:
    """(theme, phrase) of the publics stated in words: children (with no age) are
    ``jeunesse`` and ``famille``, like ``jeune public``."""
    found: list[tuple[str, str]] = []
    if not any(hint in folded for hint in _PUBLIC_HINTS):
        return found
    for m in pattern.finditer(folded):
        phrase, groups = m.group(0).strip(), m.groupdict()
        if groups.get("seniors"):
            found.append(("seniors", phrase))
        if groups["families"] or groups["children"]:
            found.append(("famille", phrase))
        if groups["young"] or groups["children"]:
            found.append(("jeunesse", phrase))
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
    #: (theme, phrase) that the form of the title gives (a sports fixture)
    formats: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, title: str, description_text: str) -> TextHits:
        title_text, title_works = split_work_titles(mask_names(mask_places(title)))
        folded_title = fold(surface(title_text))
        title_stems = folded_stems(folded_title)
        described = _read_description(description_text[:DESCRIPTION_CHARS])
        return cls(
            tuple(match_terms(title_stems) + _weak(title_works)),
            described.subject,
            described.incidental,
            tuple(dict.fromkeys(_publics(_PUBLIC_IN_TITLE, folded_title)
                                + age_themes(" . ".join((folded_title, *described.kept))))),
            frozenset(title_stems).union(described.words),
            tuple(format_themes(title)),
        )


@dataclass(frozen=True, slots=True)
class _Description:
    """What :meth:`TextHits.of` reads in a description, apart from the title."""

    subject: tuple[LexiconEntry, ...]
    incidental: tuple[LexiconEntry, ...]
    kept: tuple[str, ...]  # the folded sentences that are not practical details
    words: frozenset[str]


@lru_cache(maxsize=2048)
def _read_description(text: str) -> _Description:
    """The description's part of :meth:`TextHits.of`, memoized: the occurrences of a series
    published as separate events, and a source's boilerplate, repeat one description."""
    description, works = split_work_titles(mask_names(mask_places(text)))
    subject: list[LexiconEntry] = _weak(works)
    incidental: list[LexiconEntry] = []
    kept: list[str] = []
    words: set[str] = set()
    for sentence in _SENTENCE.split(fold(surface(description))):
        sentence_stems = folded_stems(sentence)
        if not sentence_stems:
            continue
        if INCIDENTAL.search(sentence):
            incidental.extend(match_terms(sentence_stems))
            continue
        kept.append(sentence)
        words.update(sentence_stems)
        subject.extend(match_terms(sentence_stems))
    return _Description(tuple(subject), tuple(incidental), tuple(kept), frozenset(words))

def _weak(text: str) -> list[LexiconEntry]:
    """Lexicon matches of the title of a work, as weak evidence (context words dropped)."""
    if not text:
        return []
    return [
        LexiconEntry(e.theme, e.term, e.key, WEAK)
        for e in match_terms(folded_stems(fold(surface(text))))
        if e.strength != CONTEXT
    ]
