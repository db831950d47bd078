"""Assign taxonomy themes (:mod:`shared.taxonomy`) to an event, with the reason for each.

Evidence, in order of trust:

1. The source's categories (``Event.categories``): a category whose words contain a lexicon
   term, or that names a theme (its code or label), assigns that theme.
   Reason ``category:<category as given>``.
2. The organizer's declared RNA codes, ``Event.extra["organizer_themes"]`` (a list of
   6-digit codes, or one string; the harvester or the source registry fills it from the
   association's RNA record). An organizer does many kinds of things, so its themes are
   assigned only when the event text supports them (any lexicon hit for that theme) or when
   nothing else gave the event a theme. Reason ``rna:<code>``.
3. The lexicon, matched on stems of the title and the plain description (first
   :data:`DESCRIPTION_CHARS` characters). Matching is greedy longest-first, so the words of
   ``don du sang`` do not also count as ``don``. Each distinct term scores by strength and
   place (:data:`WEIGHTS`); a theme needs :data:`THRESHOLD` points: one ordinary term in the
   title, one strong term anywhere, or two ordinary terms in the description. A weak term
   never decides alone. Reason ``lexicon:<terms>`` (best terms first).

At most :data:`MAX_THEMES` themes are kept: categories first, then by score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.model import ThemeTag
from shared.taxonomy import LEXICON, NORMAL, STRONG, THEMES, WEAK, LexiconEntry, rna_themes
from shared.text import fold, stems

DESCRIPTION_CHARS = 1500
THRESHOLD = 2.0
MAX_THEMES = 4
#: strength -> (points in the title, points in the description)
WEIGHTS = {STRONG: (3.0, 2.0), NORMAL: (2.0, 1.0), WEAK: (1.0, 0.5)}

_INDEX: dict[tuple[str, ...], list[LexiconEntry]] = defaultdict(list)
for _entry in LEXICON:
    _INDEX[_entry.key].append(_entry)
_MAX_N = max(len(k) for k in _INDEX)
_NAMES = {fold(t.label): t.code for t in THEMES} | {t.code: t.code for t in THEMES}


def match_terms(stem_seq: Sequence[str]) -> list[LexiconEntry]:
    """Lexicon entries found in a stem sequence, greedy longest match, in text order."""
    found: list[LexiconEntry] = []
    i, n = 0, len(stem_seq)
    while i < n:
        for size in range(min(_MAX_N, n - i), 0, -1):
            entries = _INDEX.get(tuple(stem_seq[i : i + size]))
            if entries:
                found.extend(entries)
                i += size
                break
        else:
            i += 1
    return found


@dataclass(frozen=True, slots=True)
class TextHits:
    """Lexicon matches of an event's title and description (shared with keywords)."""

    title: tuple[LexiconEntry, ...]
    description: tuple[LexiconEntry, ...]

    @classmethod
    def of(cls, title: str, description_text: str) -> TextHits:
        return cls(
            tuple(match_terms(stems(title))),
            tuple(match_terms(stems(description_text[:DESCRIPTION_CHARS]))),
        )


def lexicon_scores(hits: TextHits) -> dict[str, dict[str, float]]:
    """theme -> {term: points}, each distinct term counted once at its best place."""
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for place, entries in ((0, hits.title), (1, hits.description)):
        for e in entries:
            points = WEIGHTS[e.strength][place]
            terms = scores[e.theme]
            terms[e.term] = max(terms.get(e.term, 0.0), points)
    return scores


def _category_themes(categories: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for category in categories:
        if not category or not category.strip():
            continue
        named = _NAMES.get(fold(category).strip())
        if named:
            out.setdefault(named, category)
            continue
        for entry in match_terms(stems(category)):
            if entry.strength != WEAK:  # "Visite" alone says nothing about patrimoine
                out.setdefault(entry.theme, category)
    return out


def organizer_codes(extra: Mapping[str, Any]) -> list[str]:
    raw = extra.get("organizer_themes")
    if isinstance(raw, str):
        raw = raw.replace(";", ",").split(",")
    if not isinstance(raw, list | tuple):
        return []
    return [str(c).strip() for c in raw if str(c).strip()]


def assign_themes(
    categories: Sequence[str], extra: Mapping[str, Any], hits: TextHits
) -> tuple[ThemeTag, ...]:
    reasons: dict[str, list[str]] = defaultdict(list)
    rank: dict[str, float] = {}
    for theme, category in _category_themes(categories).items():
        reasons[theme].append(f"category:{category}")
        rank[theme] = 100.0
    scores = lexicon_scores(hits)
    for theme, terms in scores.items():
        total = sum(terms.values())
        if total >= THRESHOLD:
            best = sorted(terms, key=lambda t: (-terms[t], t))[:4]
            reasons[theme].append("lexicon:" + ",".join(best))
            rank[theme] = rank.get(theme, 0.0) + total
    nothing_else = not rank
    for code in organizer_codes(extra):
        for theme in rna_themes(code):
            if nothing_else or theme in rank or theme in scores:
                if f"rna:{code}" not in reasons[theme]:
                    reasons[theme].append(f"rna:{code}")
                rank[theme] = rank.get(theme, 0.0) + 1.0
    order = sorted(rank, key=lambda t: (-rank[t], t))[:MAX_THEMES]
    return tuple(ThemeTag(t, "; ".join(reasons[t])) for t in order)
