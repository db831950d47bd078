"""Shared pieces of related documents, terms and suggestions of :mod:`shared.store.sqlite`."""

from __future__ import annotations

from shared.store.suggest import folded

RELATED_PERIOD_S = 14 * 86400
#: Titles read (the soonest matching documents) to complete suggestions.
SUGGEST_TITLES = 200
#: ``terms()`` accepts the contract's names and the facet names of search results.
TERM_FACETS = {
    "themes": "themes", "theme": "themes", "keywords": "keywords", "keyword": "keywords",
    "quartier": "quartier", "commune": "commune", "organizer": "organizer",
    "accessibility": "accessibility", "audience": "audience", "sources": "sources",
    "source": "sources",
}
SUGGEST_KINDS = {"keywords": "keyword", "organizer": "organizer", "place": "place"}


def suggest_rows(rows: list[tuple[str, str, int]]) -> list[tuple[str, str, str, int]]:
    """``(kind, text, folded text, count)`` of tag counts ``(facet, value, count)``."""
    return [(SUGGEST_KINDS[f], v, folded(v), n) for f, v, n in rows]


