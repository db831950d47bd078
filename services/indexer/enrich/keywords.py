"""Normalized keyword tags of an event: folded slugs, stable order, capped.

Order: the source's categories, then its keywords (both as given, made slugs, ``;``/``,``
lists split), then the first :data:`MAX_SALIENT` salient terms of the text: lexicon terms found in
the title, then in the description, then other title words of five letters or more that
are not calendar or filler words. Duplicates are dropped (first wins); at most
:data:`MAX_KEYWORDS` tags; tags longer than 40 characters are dropped.

Idempotent: feeding the output back as the event's keywords gives the same output, because
it starts with the categories and the salient terms do not depend on the keywords.
:func:`source_keywords` finds, in that output, the tags the source gave (the theme tagger
weighs them like categories).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.text import STOP_WORDS, fold, slug

from .themes import TextHits

MAX_KEYWORDS = 12
MAX_SALIENT = 5
MAX_TAG_LEN = 40

FILLER = frozenset(
    """lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin
    juillet aout septembre octobre novembre decembre rennes edition editions soiree soirees
    journee journees matinee apres-midi rendez-vous rencontre rencontres programme gratuit
    gratuite inscription inscriptions venez autour nouvelle nouveau grand grande petite petit
    special speciale annule annulee complet reporte evenement evenements ouvert ouverte""".split()
)
_SPLIT = re.compile(r"[;,|#]")
_WORD = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]")


def _given(values: Iterable[str]) -> list[str]:
    out = []
    for value in values:
        for part in _SPLIT.split(value or ""):
            tag = slug(part)
            if tag and len(tag) <= MAX_TAG_LEN:
                out.append(tag)
    return out


def _title_words(title: str) -> list[str]:
    return [
        w
        for w in _WORD.findall(fold(title))
        if len(w) >= 5 and not w.isdigit() and w not in FILLER and w not in STOP_WORDS
    ]


def _salient(title: str, hits: TextHits) -> list[str]:
    salient = [slug(e.term) for e in hits.title] + [slug(e.term) for e in hits.description]
    salient += [slug(w) for w in _title_words(title)]
    return [t for t in dict.fromkeys(salient) if t]


def make_keywords(
    categories: Iterable[str], keywords: Iterable[str], title: str, hits: TextHits
) -> tuple[str, ...]:
    return _made(_given(categories), _given(keywords), _salient(title, hits))


def _made(from_categories: list[str], from_keywords: list[str],
          salient: list[str]) -> tuple[str, ...]:
    tags = dict.fromkeys(from_categories)
    tags.update(dict.fromkeys(from_keywords))
    tags.update(dict.fromkeys(salient[:MAX_SALIENT]))
    return tuple(list(tags)[:MAX_KEYWORDS])


def keywords_and_given(
    categories: Iterable[str], keywords: Iterable[str], title: str, hits: TextHits
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(:func:`make_keywords`, :func:`source_keywords` of it), reading the text once."""
    from_categories = _given(categories)
    salient = _salient(title, hits)
    made = _made(from_categories, _given(keywords), salient)
    derived = set(from_categories) | set(salient)
    return made, tuple(t for t in made if t not in derived)


def source_keywords(
    made: Iterable[str], categories: Iterable[str], title: str, hits: TextHits
) -> tuple[str, ...]:
    """The tags of ``made`` (:func:`make_keywords`' output) that came from the source's keywords.

    They are what is left once the categories' tags and every salient term of the text are
    set aside, so the answer is the same whether ``made`` was computed from the source's
    keywords or from an already enriched event's (enrichment stays idempotent). A source
    keyword that is also a salient term of the text is set aside too: the text already
    speaks for it.
    """
    derived = set(_given(categories)) | set(_salient(title, hits))
    return tuple(t for t in made if t not in derived)
