"""Shared pieces of related documents, terms and suggestions of :mod:`shared.store.sqlite`."""

from __future__ import annotations

from typing import Any

from shared.text import fold

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


def folded(text: str) -> str:
    return " ".join(fold(text).split())


def suggest_tags(tags: list[tuple[str, str, str, int]], prefix: str,
                 limit: int) -> list[dict[str, Any]]:
    """Tags whose text starts with ``prefix``, then tags with a word starting with it."""
    want = folded(prefix)
    if len(want) < 2:
        return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    starts = [t for t in tags if t[2].startswith(want)]
    inside = [t for t in tags if not t[2].startswith(want) and f" {want}" in f" {t[2]}"]
    for kind, text, key, _n in starts + inside:
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append({"text": text, "kind": kind})
    return out


def add_titles(out: list[dict[str, Any]], titles: list[str], limit: int) -> list[dict[str, Any]]:
    """``out`` completed up to ``limit`` with ``titles`` not suggested yet."""
    seen = {folded(o["text"]) for o in out}
    for title in titles:
        key = folded(title)
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append({"text": title, "kind": "title"})
    return out
