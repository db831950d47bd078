"""Assign taxonomy themes (:mod:`shared.taxonomy`) to an event, with the reason for each.

Evidence, in order of trust:

1. The source's categories (``Event.categories``): a category whose words contain a lexicon
   term, or that names a theme (its code or label), assigns that theme.
   Reason ``category:<category as given>``. The source's own keywords (OpenAgenda and
   Opendatasoft tags, WordPress tags: the organizer's words) weigh the same, read as the
   slugs :func:`.keywords.make_keywords` keeps (``source_keywords``). Reason
   ``keyword:<slug>``.
2. The form of the title: two teams and a league code, a team category (``US Vern – AS
   Chantepie (R2)``, ``Seniors F``, ``U15``) is a sport fixture
   (:func:`.theme_context.format_themes`). Reason ``format:<as written>``.
3. An age range or a public the event is designed for (``pour les 6-12 ans``, ``0-3 ans``,
   ``U13``, ``plus de 60 ans``, ``réservé aux seniors``): children's ranges give
   ``jeunesse``, and ``famille`` too when they start under six; babies and children with
   their parents give ``famille``; 60 and more, ``seniors``
   (:func:`.theme_text.age_themes`). An open range (``dès 5 ans``) says who may come, not
   who it is for: nothing. Reason ``age:<as written>``.
4. The organizer's declared RNA codes, ``Event.extra["organizer_themes"]`` (a list of
   6-digit codes, or one string; the harvester or the source registry fills it from the
   association's RNA record). An organizer does many kinds of things, so its themes are
   assigned only when the event text supports them (any lexicon hit for that theme) or when
   nothing else gave the event a theme. Reason ``rna:<code>``.
   The themes of the associations the event's organizer or source is linked to
   (``Event.extra["association_themes"]``, taxonomy codes or RNA codes, filled by the
   indexer from the association records, :mod:`services.indexer.associations`) are a prior
   by the same rule: a volleyball club's ``[M15] Journée 5`` is sport. Reason
   ``association:<code>`` (shown as "thème de l'association").
5. The lexicon, matched on the stems of the title and of the plain description (first
   :data:`DESCRIPTION_CHARS` characters), read by :class:`TextHits`. Matching is greedy
   longest-first, so the words of ``don du sang`` do not also count as ``don``. Each
   distinct term scores by strength and place (:data:`WEIGHTS`), and the title weighs more
   than the description:

   * a theme the title names (:data:`THRESHOLD` points there: one ordinary term) is kept;
   * a theme found only in the description needs :data:`THRESHOLD` points when neither the
     title nor a category gave the event a subject, and :data:`DESCRIPTION_THRESHOLD` when
     one did: one word in a long text (``vélo``, ``manger``) adds nothing;
   * a weak term never decides alone;
   * a context word (:data:`shared.theme_words.SENSES`: ``retraite``, ``marche``,
     ``vélo``...) counts as an ordinary term for a theme when one of that sense's cue words
     is in the text, as a weak one when the event only has other evidence for the theme (a
     term, a category), else not at all; a few have a default theme when they stand in a
     title that gives no other clue.

   Reason ``lexicon:<terms>`` (best terms first).

At most :data:`MAX_THEMES` themes are kept: categories, keywords, fixtures and age ranges
first, then by score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shared.model import ThemeTag
from shared.taxonomy import (
    CONTEXT,
    NORMAL,
    SENSE_CUES,
    SENSE_DEFAULTS,
    STRONG,
    THEMES,
    WEAK,
    rna_themes,
)
from shared.text import fold
from shared.theme_words import theme_stems

from .theme_text import DESCRIPTION_CHARS, TextHits, match_terms

__all__ = [
    "DESCRIPTION_CHARS",
    "TextHits",
    "ASSOCIATION_REASON",
    "assign_themes",
    "association_themes",
    "lexicon_scores",
    "match_terms",
    "organizer_codes",
]

THRESHOLD = 2.0
DESCRIPTION_THRESHOLD = 3.0
MAX_THEMES = 4
#: strength -> (points in the title, points in the description)
WEIGHTS = {STRONG: (3.0, 2.0), NORMAL: (2.0, 1.0), WEAK: (1.0, 0.5)}

_NAMES = {fold(t.label): t.code for t in THEMES} | {t.code: t.code for t in THEMES}
_CODES = frozenset(t.code for t in THEMES)


def _place_scores(
    hits: TextHits, supported: set[str]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """(title, description) scores: theme -> {term: points}, each term at its best place.

    A context word counts as an ordinary term for a theme when one of that sense's cues is
    in the text, as a weak one when the theme only has other evidence, else not at all.
    """
    title: dict[str, dict[str, float]] = defaultdict(dict)
    description: dict[str, dict[str, float]] = defaultdict(dict)
    evidence = {e.theme for e in (*hits.title, *hits.description) if e.strength != CONTEXT}
    evidence |= supported
    for place, entries, scores in ((0, hits.title, title), (1, hits.description, description)):
        for e in entries:
            strength = e.strength
            if strength == CONTEXT:
                if SENSE_CUES.get((e.theme, e.key[0]), frozenset()) & hits.words:
                    strength = NORMAL
                elif e.theme in evidence:
                    strength = WEAK
                else:
                    continue
            points = WEIGHTS[strength][place]
            if place == 1 and points <= title[e.theme].get(e.term, 0.0):
                continue
            terms = scores[e.theme]
            terms[e.term] = max(terms.get(e.term, 0.0), points)
    if not supported and not any(title.values()):
        for e in hits.title:  # a context word alone in a title: its default sense, if any
            default = SENSE_DEFAULTS.get(e.key[0]) if e.strength == CONTEXT else None
            if default:
                title[default][e.term] = WEIGHTS[NORMAL][0]
    return title, description


def lexicon_scores(hits: TextHits) -> dict[str, dict[str, float]]:
    """theme -> {term: points}, each distinct term counted once at its best place."""
    title, description = _place_scores(hits, set())
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for scores in (title, description):
        for theme, terms in scores.items():
            for term, points in terms.items():
                out[theme][term] = max(out[theme].get(term, 0.0), points)
    return out


def _category_themes(categories: Iterable[str]) -> dict[str, str]:
    """theme -> the first category (or keyword) that gives it.

    A category that names a theme gives it; else its strong and ordinary lexicon terms do
    (``Visite`` alone says nothing about patrimoine, nor ``Marché`` alone about food).
    """
    out: dict[str, str] = {}
    for category in categories:
        if not category or not category.strip():
            continue
        folded = fold(category).strip()
        named = _NAMES.get(folded) or _NAMES.get(folded.replace("-", " "))
        if named:
            out.setdefault(named, category)
            continue
        for entry in match_terms(theme_stems(category)):
            if entry.strength in (STRONG, NORMAL):
                out.setdefault(entry.theme, category)
    return out


def organizer_codes(extra: Mapping[str, Any]) -> list[str]:
    raw = extra.get("organizer_themes")
    if isinstance(raw, str):
        raw = raw.replace(";", ",").split(",")
    if not isinstance(raw, list | tuple):
        return []
    return [str(c).strip() for c in raw if str(c).strip()]


#: The reason of a theme that comes from the organizing association's record.
ASSOCIATION_REASON = "association:"


def association_themes(extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(code as declared, taxonomy theme) of the themes of the associations an event is
    linked to (``extra["association_themes"]``: taxonomy codes or 6-digit RNA codes)."""
    raw = extra.get("association_themes")
    if isinstance(raw, str):
        raw = raw.replace(";", ",").split(",")
    if not isinstance(raw, list | tuple):
        return []
    out: list[tuple[str, str]] = []
    for item in raw:
        code = str(item).strip()
        themes = rna_themes(code) if code.isdigit() else (code,) if code in _CODES else ()
        out += [(code, t) for t in themes if (code, t) not in out]
    return out


def assign_themes(
    categories: Sequence[str],
    extra: Mapping[str, Any],
    hits: TextHits,
    source_keywords: Sequence[str] = (),
) -> tuple[ThemeTag, ...]:
    reasons: dict[str, list[str]] = defaultdict(list)
    rank: dict[str, float] = {}
    for theme, category in _category_themes(categories).items():
        reasons[theme].append(f"category:{category}")
        rank[theme] = 100.0
    for theme, keyword in _category_themes(source_keywords).items():
        if theme not in rank:
            reasons[theme].append(f"keyword:{keyword}")
            rank[theme] = 90.0
    for theme, phrase in hits.formats:
        if theme not in rank:
            reasons[theme].append(f"format:{phrase}")
            rank[theme] = 60.0
    has_subject = bool(rank)  # an age range says who the event is for, not its subject
    for theme, phrase in hits.ages:
        if theme not in rank:
            reasons[theme].append(f"age:{phrase}")
            rank[theme] = 50.0
    title, description = _place_scores(hits, set(rank))
    has_subject = has_subject or any(sum(t.values()) >= THRESHOLD for t in title.values())
    for theme in set(title) | set(description):
        in_title = sum(title[theme].values()) if theme in title else 0.0
        terms = {**description.get(theme, {}), **title.get(theme, {})}
        total = sum(terms.values())
        needed = DESCRIPTION_THRESHOLD if has_subject else THRESHOLD
        if in_title >= THRESHOLD or total >= needed:
            best = sorted(terms, key=lambda t: (-terms[t], t))[:4]
            reasons[theme].append("lexicon:" + ",".join(best))
            rank[theme] = rank.get(theme, 0.0) + total
    nothing_else = not rank
    supported = {e.theme for e in (*hits.title, *hits.description) if e.strength != CONTEXT}
    for code in organizer_codes(extra):
        for theme in rna_themes(code):
            if nothing_else or theme in rank or theme in supported:
                if f"rna:{code}" not in reasons[theme]:
                    reasons[theme].append(f"rna:{code}")
                rank[theme] = rank.get(theme, 0.0) + 1.0
    for code, theme in association_themes(extra):
        if nothing_else or theme in rank or theme in supported:
            if f"{ASSOCIATION_REASON}{code}" not in reasons[theme]:
                reasons[theme].append(f"{ASSOCIATION_REASON}{code}")
            rank[theme] = rank.get(theme, 0.0) + 1.0
    order = sorted(rank, key=lambda t: (-rank[t], t))[:MAX_THEMES]
    return tuple(ThemeTag(t, "; ".join(reasons[t])) for t in order)
